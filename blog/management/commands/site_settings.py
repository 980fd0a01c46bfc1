"""Show or change the site settings from a shell, with the admin's checks.

For scripts and deployments (and the benchmark): the running site takes a change made
here on its next request, as it does one made in the admin.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.forms import model_to_dict, modelform_factory

from blog import site
from blog.site import SiteSettings

FIELDS = [
    "name",
    "tagline",
    "description",
    "comment_moderation",
    "comments_max_depth",
    "comments_close_after_days",
    "comments_per_page",
]


class Command(BaseCommand):
    help = (
        "Show the site settings, or change them: site_settings name='My blog' "
        "comments_per_page=100 comments_close_after_days= (empty: none). "
        f"Settings: {', '.join(FIELDS)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("changes", nargs="*", metavar="setting=value")

    def handle(self, *args, changes, **options):
        current = SiteSettings.load()
        if changes:
            current = self.change(current, changes)
        for name in FIELDS:
            value = getattr(current, name)
            self.stdout.write(f"{name} = {'' if value is None else value}")

    def change(self, current, changes):
        data = {name: ("" if value is None else value) for name, value in model_to_dict(current, FIELDS).items()}
        for change in changes:
            name, equals, value = change.partition("=")
            if not equals or name not in FIELDS:
                raise CommandError(f"“{change}” is not setting=value with one of: {', '.join(FIELDS)}.")
            data[name] = value
        form = modelform_factory(SiteSettings, fields=FIELDS)(data, instance=current)
        if not form.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in form.errors.items()
            )
            raise CommandError(f"Nothing was changed. {problems}")
        with transaction.atomic():
            saved = form.save()
            site.changed()
        return saved
