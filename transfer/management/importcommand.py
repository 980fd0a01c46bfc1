"""What import_blogger and import_wordpress share: reading the file, options, the report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transfer.importing import ImportFailed, import_blogs
from transfer.xmlfile import BadFile, read_upload


class ImportCommand(BaseCommand):
    platform = None  # a SourceRecord.Platform value
    # Whether the export holds posts whose images --fetch-media can bring here.
    has_media = True

    def read(self, data, *, name, recover=False):
        """The SourceBlogs in the file's bytes (BadFile when it is not an export we read)."""
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("file", help="The export file.")
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Report what would be created, updated and skipped, and save nothing.",
        )
        parser.add_argument(
            "--recover", action="store_true",
            help="Read a file that is not well-formed XML as far as it can be (as WordPress's "
            "importer does) and list what could not be read. DTDs and entities are still refused.",
        )
        if not self.has_media:
            return
        parser.add_argument(
            "--fetch-media", action="store_true",
            help="Bring the images the posts and pages show from the old blog's servers (and "
            "WordPress's image attachments) here: queued now, fetched by the worker, then the "
            "posts show the copies. Safe to run again: each image is fetched once.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            with path.open("rb") as file:
                data = read_upload(file, name=path.name)
            blogs = self.read(data, name=path.name, recover=options["recover"])
            report = import_blogs(
                blogs, platform=self.platform, file_name=path.name, dry_run=options["dry_run"],
                progress=options["verbosity"] > 0, fetch_media=options.get("fetch_media", False),
            )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        except (BadFile, ImportFailed) as error:
            raise CommandError(f"{error} Nothing was imported.") from None
        self.stdout.write(report.as_text(), ending="")
