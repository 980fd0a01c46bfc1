from django.core.management.base import BaseCommand, CommandError

from transfer.wxr import wxr_chunks


class Command(BaseCommand):
    help = (
        "Write the whole blog as a WordPress export (WXR 1.2): posts, tags, threaded "
        "comments with their states, authors and old URLs. "
        "Usage: manage.py export_wordpress > blog.xml"
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, **options):
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as file:
                    for chunk in wxr_chunks():
                        file.write(chunk)
            except OSError as error:
                raise CommandError(f"Cannot write {options['output']}: {error.strerror or error}.") from None
            return
        for chunk in wxr_chunks():
            self.stdout.write(chunk, ending="")
