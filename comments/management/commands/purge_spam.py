"""Delete comments that have sat in spam longer than COMMENTS_SPAM_RETENTION_DAYS.

Run daily: blog-purge-ips.service runs it after purge_comment_ips (docs/OPERATIONS.md).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comments.moderation import purge_spam


class Command(BaseCommand):
    help = (
        "Delete spam comments written more than COMMENTS_SPAM_RETENTION_DAYS (default 30) "
        "days ago, except those replies still hang on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Delete spam older than this many days instead of COMMENTS_SPAM_RETENTION_DAYS.",
        )

    def handle(self, *args, days, **options):
        days = settings.COMMENTS_SPAM_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        deleted = purge_spam(days=days)
        self.stdout.write(
            f"Deleted {deleted} spam comment{'s' if deleted != 1 else ''} older than {days} days."
        )
