"""Commenters change their own comments for a while: when, and the text an edit replaced."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('comments', '0005_address_confirmation'),
    ]

    operations = [
        migrations.AddField(
            model_name='comment',
            name='edited_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='moderationlog',
            name='previous_body',
            field=models.TextField(blank=True, default=''),
        ),
    ]
