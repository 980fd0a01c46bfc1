"""Erase commenters' IP addresses and user agents once they are older than the retention period.

Run daily from cron, e.g.  17 3 * * *  cd /srv/blog && .venv/bin/python manage.py purge_comment_ips
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comments.privacy import purge_addresses


class Command(BaseCommand):
    help = (
        "Erase the IP address and user agent of comments older than "
        "COMMENTS_IP_RETENTION_DAYS (default 30) days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep addresses this many days instead of COMMENTS_IP_RETENTION_DAYS.",
        )

    def handle(self, *args, days, **options):
        days = settings.COMMENTS_IP_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        changed = purge_addresses(days=days)
        self.stdout.write(
            f"Erased the IP address and user agent of {changed} comment"
            f"{'s' if changed != 1 else ''} older than {days} days."
        )
