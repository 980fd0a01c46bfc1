"""The site settings, created with the first-run defaults of Django's settings (blog/site.py)."""

import blog.site
import blog.text
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def create_site_settings(apps, schema_editor):
    # The fields' defaults read Django's settings (the environment) as they are now.
    apps.get_model("blog", "SiteSettings").objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ('blog', '0013_tagredirect'),
    ]

    operations = [
        migrations.CreateModel(
            name='SiteSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default=blog.site.default_name, help_text="In the header, every page's title, the feeds, emails and the admin.", max_length=100, validators=[blog.text.ControlCharacterValidator()], verbose_name='site name')),
                ('tagline', models.CharField(blank=True, help_text='A line under the name in the header. Optional.', max_length=200, validators=[blog.text.ControlCharacterValidator()])),
                ('description', models.TextField(blank=True, help_text="What the blog is about, in a sentence or two: the home page's description for search engines and link previews, and the feeds' description.", max_length=300, validators=[blog.text.ControlCharacterValidator()])),
                ('comment_moderation', models.CharField(choices=[('first', "Hold a commenter's first comment; publish once one is approved"), ('all', 'Hold every comment for a moderator'), ('off', 'Off: publish comments at once')], default='first', help_text='Whatever is chosen, the blocklist still sends comments to spam, the hold keywords and links still hold them, and staff comments are published.', max_length=10)),
                ('comments_max_depth', models.PositiveSmallIntegerField(default=blog.site.default_max_depth, help_text='How deep replies nest: 0 allows no replies, 1 replies to top-level comments only; at most 10.', validators=[django.core.validators.MaxValueValidator(10, 'Replies can nest from 0 (no replies) to 10 deep.')], verbose_name='reply depth')),
                ('comments_close_after_days', models.PositiveIntegerField(blank=True, default=blog.site.default_close_after_days, help_text="Days after a post's publication when it stops taking comments. Empty: never.", null=True, validators=[django.core.validators.MinValueValidator(1, 'Enter a number of days from 1 to 36500, or leave it empty so that comments never close.'), django.core.validators.MaxValueValidator(36500, 'Enter a number of days from 1 to 36500, or leave it empty so that comments never close.')], verbose_name='close comments after (days)')),
                ('comments_per_page', models.PositiveSmallIntegerField(blank=True, default=blog.site.default_comments_per_page, help_text='Top-level comments (with their replies) on one page of a long thread, 1 to 500. Empty: the whole thread on one page.', null=True, validators=[django.core.validators.MinValueValidator(1, 'Enter a number from 1 to 500, or leave it empty for the whole thread on one page.'), django.core.validators.MaxValueValidator(500, 'Enter a number from 1 to 500, or leave it empty for the whole thread on one page.')])),
            ],
            options={
                'verbose_name': 'site settings',
                'verbose_name_plural': 'site settings',
            },
        ),
        migrations.CreateModel(
            name='MenuLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=50, validators=[blog.text.ControlCharacterValidator()])),
                ('url', models.CharField(help_text='A path on this site (/about/) or a web address (https://…).', max_length=500, validators=[blog.site.validate_menu_url], verbose_name='address')),
                ('menu_order', models.PositiveSmallIntegerField(default=0, help_text="Its place in the menu among the pages', smallest first.")),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='menu_links', to='blog.sitesettings')),
            ],
            options={
                'ordering': ['menu_order', 'label'],
            },
        ),
        migrations.RunPython(create_site_settings, migrations.RunPython.noop),
    ]
