from django.db import models


class PageVersion(models.Model):
    """The current version of one kind of content, which cached pages record (pagecache/store.py).

    A new random version on every change (pagecache/refresh.py says which change bumps
    which key); `valid_until` marks when the content changes by itself (the next scheduled
    post is due).
    """

    key = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField()
    valid_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.key}: {self.version}"
