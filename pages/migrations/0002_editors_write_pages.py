"""Pages are the site's: editors write and publish them (as in WordPress), authors do not."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
PAGE_PERMISSIONS = ["add_page", "change_page", "delete_page", "view_page"]


def let_editors_write_pages(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="pages", codename__in=PAGE_PERMISSIONS)
    )


def take_pages_from_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=EDITORS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="pages", codename__in=PAGE_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_initial"),
        ("blog", "0012_editors"),
    ]

    operations = [migrations.RunPython(let_editors_write_pages, take_pages_from_editors)]
