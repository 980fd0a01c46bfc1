"""Everything stored about a commenter, found by email address, as JSON."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from comments.privacy import export_commenter


class Command(BaseCommand):
    help = "Print (or write to --output) all comments and data stored for an email address, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="Write the JSON to this file instead of the screen.")

    def handle(self, *args, email, output, **options):
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        data = export_commenter(email)
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stderr.write(f"Wrote {len(data['comments'])} comments to {output}.")
        else:
            self.stdout.write(text)
