from transfer.blogger import read_blogger
from transfer.management.importcommand import ImportCommand
from transfer.models import SourceRecord


class Command(ImportCommand):
    help = (
        "Import a Blogger export: the classic backup (.xml) or Google Takeout's feed.atom, "
        "alone or in the Takeout .zip. Posts, labels, threaded comments, authors and old "
        "URLs. Safe to run again."
    )
    platform = SourceRecord.Platform.BLOGGER

    def read(self, data, *, name, recover=False):
        return read_blogger(data, name=name, recover=recover)
