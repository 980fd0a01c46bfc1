"""Erase a commenter's data by email address; threads stay whole."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from comments.privacy import comments_by, erase_commenter


class Command(BaseCommand):
    help = (
        "Delete the comments written with an email address. A comment that has replies "
        "stays as an anonymous 'comment removed' so the thread stays whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--yes", action="store_true", help="Do it without asking (for scripts)."
        )

    def handle(self, *args, email, yes, **options):
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        found = comments_by(email).count()
        if not found:
            self.stdout.write(f"No comments are stored for {email}.")
            return
        if not yes:
            answer = input(f"Erase {found} comment{'s' if found != 1 else ''} by {email}? [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                raise CommandError("Nothing erased.")
        deleted, kept = erase_commenter(email)
        self.stdout.write(
            f"Erased {email}: {deleted} comment{'s' if deleted != 1 else ''} deleted, "
            f"{kept} kept as 'comment removed' because others replied to them."
        )
