"""The Editors group: everything an author may do, on everyone's posts, and deleting tags.

Editors change and publish other authors' posts (PostQuerySet.editable_by); authors only
their own. Pages are the Editors' too (pages/migrations/0002).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
EDITOR_PERMISSIONS = [
    ("blog", "add_post"),
    ("blog", "change_post"),
    ("blog", "delete_post"),
    ("blog", "view_post"),
    ("blog", "change_others_posts"),
    ("blog", "add_tag"),
    ("blog", "change_tag"),
    ("blog", "delete_tag"),
    ("blog", "view_tag"),
]


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    for app_label, codename in EDITOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0011_authorprofile"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="post",
            options={
                "get_latest_by": "published_at",
                "ordering": ["-published_at", "-id"],
                "permissions": [("change_others_posts", "Can change and publish other authors' posts")],
            },
        ),
        migrations.RunPython(create_editors_group, remove_editors_group),
    ]
