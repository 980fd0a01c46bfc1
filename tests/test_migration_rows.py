"""Transactional tests start with the rows data migrations made, whatever came in between."""

import pytest
from django.contrib.auth.models import Group

from blog.site import SiteSettings
from tests.conftest import restore_missing_rows

pytestmark = pytest.mark.django_db(transaction=True)


def test_groups_come_back_though_a_late_request_made_the_site_settings_anew(_migration_rows):
    models, data = _migration_rows
    # What a flush leaves when a request reaches the live server just after it: no groups,
    # and the site settings django-solo made on that request's first read.
    Group.objects.all().delete()
    SiteSettings.objects.all().delete()
    SiteSettings.load()

    restore_missing_rows(models, data)

    assert {"Authors", "Editors", "Moderators"} <= set(Group.objects.values_list("name", flat=True))
    assert SiteSettings.objects.count() == 1
