"""Search: which posts match a query, and in what order readers see them.

Syntax, the same on both databases (PostgreSQL's web search syntax): every word must
appear; "quoted words" must appear together, in that order; a word or a quoted phrase
with `-` before it must not appear; `or` between words offers alternatives (`cat dog or
fish`: both cat and dog, or fish). `parse()` reads a query into that structure, whatever
it holds (operators alone, unbalanced quotes, punctuation): what it cannot read as a word
is left out, and a query with nothing left finds nothing.

Matching, of the title and the text readers see (never link targets or image addresses):
on PostgreSQL, full-text search over the stored vectors of the title and the rendered
body (its parser skips HTML tags), with English stemming; on SQLite, each word anywhere in
the title or in the text between the tags of the rendered body.

Order: posts whose title matches the query first, then the others; newest first within
each. At most `settings.SEARCH_MAX_RESULTS` are listed: past a thousand matches a reader
adds a word rather than reading on, and a bound keeps every search's cost bounded.

Cost, on PostgreSQL: one query finds the matches' ids in reading order, through the GIN
index, reading only the narrow post rows (blog/migrations/0007), then sorting them: ~15 ms
for a word in a tenth of 100,000 posts, ~45 ms for a word in nearly all of them. Every
page of the results is then one query by primary key. The view keeps the ids with the
site's version, so paging through a search finds its matches once.
"""

import html
import operator
import re
from dataclasses import dataclass
from functools import reduce

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
        if not parse(self.query):
            return []
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


# Words a query may hold: more are left out (a query is at most a line long anyway).
MAX_WORDS = 32

_TOKEN = re.compile(r'(?P<minus>-*)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
_EDGES = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Term:
    """A word, or words that must appear together; `excluded`: must not appear."""

    words: tuple
    excluded: bool = False

    def websearch(self):
        text = " ".join(self.words)
        # A lone "or" would be read as the operator.
        text = f'"{text}"' if len(self.words) > 1 or text.lower() == "or" else text
        return f"-{text}" if self.excluded else text


def parse(query):
    """The alternatives of `query` (split at `or`), each a list of Terms that must all hold.

    An alternative of excluded terms only would list nearly every post: it is left out.
    """
    alternatives = [[]]
    budget = MAX_WORDS
    for token in _TOKEN.finditer(query):
        if token["word"] is not None:
            excluded = token["word"].startswith("-")
            words = [_EDGES.sub("", token["word"])]
            if words[0].lower() == "or":
                if not excluded:
                    alternatives.append([])
                continue
        else:
            excluded = bool(token["minus"])
            words = [_EDGES.sub("", word) for word in token["phrase"].split()]
        words = [word for word in words if word][:budget]
        if words:
            budget -= len(words)
            alternatives[-1].append(Term(tuple(words), excluded))
    return [terms for terms in alternatives if any(not term.excluded for term in terms)]


def websearch_query(alternatives):
    """The parsed query written again in PostgreSQL's web search syntax, plainly.

    websearch_to_tsquery() fails on some strings (33 `-` in a row: "tsquery stack too
    small"); what parse() gives back never holds such runs.
    """
    return " or ".join(" ".join(term.websearch() for term in terms) for terms in alternatives)


def _conditions(query, table, vendor):
    """(the post matches the query, its title matches the query) as conditions."""
    alternatives = parse(query)
    if vendor == "postgresql":
        tsquery = "websearch_to_tsquery('english'::regconfig, %s)"
        text = websearch_query(alternatives)
        # Both vectors are columns PostgreSQL computes on write, each with a GIN index
        # (blog/migrations/0006, 0007 and 0008).
        matches = RawSQL(f'"{table}"."search_document" @@ {tsquery}', [text], output_field=BooleanField())
        in_title = RawSQL(f'"{table}"."title_document" @@ {tsquery}', [text], output_field=BooleanField())
        return Q(matches), Q(in_title)
    return (
        _any_of(alternatives, lambda term: _in_title(term) | _in_visible_text(term)),
        _any_of(alternatives, _in_title),
    )


def _any_of(alternatives, condition):
    """The condition that some alternative holds: each of its terms (or its negation)."""
    return reduce(
        operator.or_,
        (
            reduce(operator.and_, (~condition(t) if t.excluded else condition(t) for t in terms))
            for terms in alternatives
        ),
    )


# Between the words of a phrase: anything that is not a letter or a digit, tags included.
_BETWEEN_WORDS = r"(?:<[^>]*>|[^\w<])+"


def _in_title(term):
    if len(term.words) == 1:
        return Q(title__icontains=term.words[0])
    return Q(title__iregex=r"\W+".join(re.escape(word) for word in term.words))


def _in_visible_text(term):
    """The term in the text of the rendered body, outside every tag.

    `(?:^|>)[^<]*?` puts the first word after the end of a tag (or at the start) with no
    tag opening between: in the text, not in an attribute such as a link's href.
    """
    words = [re.escape(html.escape(word, quote=False)) for word in term.words]
    return Q(body_html__iregex=r"(?:^|>)[^<]*?" + _BETWEEN_WORDS.join(words))
