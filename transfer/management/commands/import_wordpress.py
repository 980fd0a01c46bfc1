from transfer.management.importcommand import ImportCommand
from transfer.models import SourceRecord
from transfer.wordpress import read_wordpress


class Command(ImportCommand):
    help = (
        "Import a WordPress export (WXR 1.0 to 1.2, from Tools → Export): posts, tags, "
        "threaded comments with their states, authors, and old URLs. Safe to run again."
    )
    platform = SourceRecord.Platform.WORDPRESS

    def read(self, data, *, name, recover=False):
        return [read_wordpress(data, name=name, recover=recover)]
