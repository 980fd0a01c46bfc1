"""Moderators see the deliveries (failed and waiting emails among them) and may retry them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_delivery", "retry_delivery"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("delivery")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="delivery", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="Moderators").first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="delivery", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0001_initial"),
        ("comments", "0003_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
