"""The Moderators group: decide on comments and keep the keyword lists, nothing else.

They see comments and the moderation log in the admin but cannot edit or delete a comment
(decisions go through the moderation actions, which log them), and they have no
permission on posts or tags. Members need "staff status" to log in.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS = "Moderators"
MODERATOR_PERMISSIONS = [
    ("comments", "moderate_comment"),
    ("comments", "view_comment"),
    ("comments", "view_moderationlog"),
    ("comments", "add_moderationkeyword"),
    ("comments", "change_moderationkeyword"),
    ("comments", "delete_moderationkeyword"),
    ("comments", "view_moderationkeyword"),
    ("comments", "add_blocklistentry"),
    ("comments", "change_blocklistentry"),
    ("comments", "delete_blocklistentry"),
    ("comments", "view_blocklistentry"),
]


def create_moderators_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    for app_label, codename in MODERATOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0002_thread_fingerprint_keywords_blocklist"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
