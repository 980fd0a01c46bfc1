"""The Authors group: write posts and tags, and change or delete only their own posts.

Which posts an author may change is decided by PostQuerySet.editable_by; this group only
grants the model permissions that rule builds on.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUTHORS = "Authors"
AUTHOR_PERMISSIONS = [
    ("blog", "add_post"),
    ("blog", "change_post"),
    ("blog", "delete_post"),
    ("blog", "view_post"),
    ("blog", "add_tag"),
    ("blog", "change_tag"),
    ("blog", "view_tag"),
]


def create_authors_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=AUTHORS)
    for app_label, codename in AUTHOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_authors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AUTHORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_authors_group, remove_authors_group)]
