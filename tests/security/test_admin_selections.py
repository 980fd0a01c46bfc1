"""A bulk action's selection that names no possible row is a 400 on every admin list.

Django filters a list by the ticked ids as they come, so a forged value of the wrong kind
failed inside the query: a 500 on Django's own lists (users, groups) and every app's.
blog/admin_site.py checks the values first, for every model registered in the admin.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from blog.admin_site import BlogAdminSite
from blog.models import Post

pytestmark = pytest.mark.django_db

# The site settings are a singleton (django-solo): their list address is their change form.
NO_LIST = {("blog", "sitesettings")}
LISTS = sorted(
    {
        (model._meta.app_label, model._meta.model_name)
        for model in apps.get_models()
        if admin.site.is_registered(model)
    }
    - NO_LIST
)


def test_the_admin_is_the_site_that_checks_selections():
    assert isinstance(admin.site, BlogAdminSite)
    assert ("auth", "user") in LISTS and ("comments", "comment") in LISTS


@pytest.mark.parametrize("app_label,model_name", LISTS)
@pytest.mark.parametrize("chosen", ["abc", "1.5", "1e3", "٣x", "\x00"])
def test_a_forged_selection_on_any_list_is_a_bad_request(admin_client, app_label, model_name, chosen):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    response = admin_client.post(
        url, {"action": "delete_selected", "index": "0", "_selected_action": ["1", chosen]}
    )

    assert response.status_code == 400
    assert "reload the list" in response.content.decode()


def test_a_forged_selection_changes_nothing(admin_client, make_post):
    post = make_post(title="Kept")

    admin_client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [str(post.pk), "abc"]},
    )

    assert Post.objects.filter(pk=post.pk).exists()


def test_a_selection_of_real_rows_still_reaches_the_action(admin_client, make_user):
    reader = make_user("reader")

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(reader.pk)]},
    )

    assert response.status_code == 200
    assert list(response.context["queryset"]) == [reader]
