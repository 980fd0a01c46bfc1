"""Search: which posts match a query, and in what order readers see them.

Matching: on PostgreSQL, full-text search over the stored vectors (web search syntax:
"quoted phrases", `or`, `-word`; English stemming); on SQLite, every word of the query
anywhere in the title or body.

Order: posts whose title matches the query first, then the others; newest first within
each. At most `settings.SEARCH_MAX_RESULTS` are listed: past a thousand matches a reader
adds a word rather than reading on, and a bound keeps every search's cost bounded.

Cost, on PostgreSQL: one query finds the matches' ids in reading order, through the GIN
index, reading only the narrow post rows (blog/migrations/0007), then sorting them: ~15 ms
for a word in a tenth of 100,000 posts, ~45 ms for a word in nearly all of them. Every
page of the results is then one query by primary key. The view keeps the ids with the
site's version, so paging through a search finds its matches once.
"""

from django.conf import settings
from django.db import connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property


class SearchResults:
    """The matches of one query, as a sequence Django's Paginator can page through."""

    ordered = True

    def __init__(self, posts, query, limit=None):
        self.posts = posts
        self.model = posts.model
        self.query = query
        self.limit = settings.SEARCH_MAX_RESULTS if limit is None else limit

    @cached_property
    def matching_ids(self):
        """The primary keys of the matches in reading order, up to the limit."""
        database = connections[self.posts.db]
        matches, in_title = _conditions(self.query, self.model._meta.db_table, database.vendor)
        ids = (
            self.posts.filter(matches)
            .alias(in_title=ExpressionWrapper(in_title, output_field=BooleanField()))
            .order_by(F("in_title").desc(), "-published_at", "-pk")
            .values_list("pk", flat=True)[: self.limit]
        )
        if database.vendor != "postgresql":
            return list(ids)
        with transaction.atomic(using=database.alias), database.cursor() as cursor:
            # The planner does not count the cost of reading each post's out-of-line
            # document, so for a common word it would walk every post testing them one by
            # one (~1 s at 100,000 posts). The full-text index finds them all in a few ms.
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
            found = list(ids)
            # Within a longer transaction the settings would outlive this block.
            cursor.execute("RESET enable_seqscan; RESET enable_indexscan")
        return found

    def count(self):
        return len(self.matching_ids)

    def __len__(self):
        return self.count()

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, index):
        ids = self.matching_ids[index]
        if isinstance(index, int):
            return self.posts.get(pk=ids)
        by_id = self.posts.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


def _conditions(query, table, vendor):
    """(the post matches the query, its title matches the query) as conditions."""
    if vendor == "postgresql":
        tsquery = "websearch_to_tsquery('english'::regconfig, %s)"
        # Both vectors are columns PostgreSQL computes on write, each with a GIN index
        # (blog/migrations/0006 and 0007).
        matches = RawSQL(f'"{table}"."search_document" @@ {tsquery}', [query], output_field=BooleanField())
        in_title = RawSQL(f'"{table}"."title_document" @@ {tsquery}', [query], output_field=BooleanField())
        return Q(matches), Q(in_title)
    matches = Q()
    in_title = Q()
    for word in query.split():
        matches &= Q(title__icontains=word) | Q(body__icontains=word)
        in_title &= Q(title__icontains=word)
    return matches, in_title
