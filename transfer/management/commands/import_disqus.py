from transfer.disqus import read_disqus
from transfer.management.importcommand import ImportCommand
from transfer.models import SourceRecord


class Command(ImportCommand):
    help = (
        "Import a Disqus export (.xml): each thread's comments, with their replies, authors, "
        "dates and deleted or spam states, on the post here the thread's address names "
        "(a permalink or an old address of an import). Safe to run again."
    )
    platform = SourceRecord.Platform.DISQUS
    has_media = False

    def read(self, data, *, name, recover=False):
        return [read_disqus(data, name=name, recover=recover)]
