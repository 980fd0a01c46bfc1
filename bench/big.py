"""Pages of a big blog on PostgreSQL: time each kind of page and check every query's plan.

    make bench-big     (generates 100,000 posts and 1,000,000 comments first if needed)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_perf_big .venv/bin/python bench/big.py

For the home page, archives, a tag page and its feed, search, the feeds, and post pages
(a typical thread and the longest), renders each page uncached in-process (a query string
never seen before, so the page cache misses; the sidebar's aggregates stay cached as they
would), reports the median and p90 over BIG_SAMPLES runs, and runs EXPLAIN on every query
the page made: a sequential scan of posts or comments fails the check. Then times comment
POSTs through the real form. Exits 1 when a plan scans posts or comments sequentially.
"""

import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from blog.models import Post, Tag  # noqa: E402
from comments.models import Comment  # noqa: E402

SAMPLES = int(os.environ.get("BIG_SAMPLES", 15))
BIG_TABLES = ("blog_post", "comments_comment")


def pages():
    published = Post.objects.published()
    newest = published.order_by("-published_at").first()
    local = timezone.localtime(newest.published_at)
    middle_year = timezone.localtime(published.order_by("published_at")[published.count() // 2].published_at)
    tag = Tag.objects.annotate(n=Count("posts")).order_by("-n").first()
    typical = (
        published.annotate(n=Count("comments")).filter(n__gte=8, n__lte=12).order_by("-published_at").first()
    )
    longest = published.annotate(n=Count("comments")).order_by("-n").first()
    rare_word = "lojivon"
    return [
        ("home", "/"),
        ("home, page 500", "/?page=500"),
        ("year archive", f"/{middle_year.year}/"),
        ("month archive", f"/{local.year}/{local.month:02d}/"),
        (f"tag page ({tag.n:,} posts)", tag.get_absolute_url()),
        ("tag feed", f"{tag.get_absolute_url()}feed/atom/"),
        ("search, common word", "/search/?q=winter+bridge"),
        ("search, common word, first time", NewSearch("winter bridge")),
        ("search, rare word", f"/search/?q={rare_word}"),
        ("search, rare word, first time", NewSearch(rare_word)),
        (f"search, word in {share_of_posts('bridge'):.0%} of posts, first time", NewSearch("bridge")),
        ("feed (Atom)", "/feed/atom/"),
        ("feed (RSS)", "/feed/rss/"),
        ("comments feed", "/comments/feed/atom/"),
        (f"post page ({typical.n} comments)", typical.get_absolute_url()),
        (f"post page ({longest.n:,} comments), page 1", longest.get_absolute_url()),
        (f"post page ({longest.n:,} comments), last page", None if longest is None else longest),
    ]


def share_of_posts(word):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT avg((search_document @@ websearch_to_tsquery('english', %s))::int) FROM blog_post", [word]
        )
        return cursor.fetchone()[0]


class NewSearch:
    """A search never made before on every request: its matches are found, not remembered.

    The view keeps a query's matches with the site's version; the same words in another
    mix of capitals are another query with the same matches.
    """

    def __init__(self, words):
        self.words = words
        self.made = 0

    def url(self):
        self.made += 1
        letters = iter(range(len(self.words)))
        spelled = "".join(
            c.upper() if c.isalpha() and (self.made >> next(letters)) & 1 else c for c in self.words
        )
        return "/search/?" + urlencode({"q": spelled})

    def __str__(self):
        return f"/search/?q={self.words}, in new capitals each time"


def capture(client, url):
    queries = []

    def wrapper(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        response = client.get(url)
    return response, queries


def sequential_scans(queries):
    found = set()
    planner_settings = None
    for sql, params in queries:
        statement = sql.lstrip().upper()
        if statement.startswith("SET LOCAL"):
            # A query the code runs with planner settings (blog/search.py): explain it so.
            planner_settings = sql
            continue
        if not statement.startswith("SELECT"):
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            if planner_settings:
                cursor.execute(planner_settings)
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        planner_settings = None
        for table in BIG_TABLES:
            if re.search(rf"Seq Scan on {table}\b", plan):
                found.add(table)
    return sorted(found)


def time_page(client, target):
    times = []
    for number in range(SAMPLES):
        url = target.url() if isinstance(target, NewSearch) else target
        started = time.perf_counter()
        response = client.get(f"{url}{'&' if '?' in url else '?'}nocache={time.time_ns()}-{number}")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def time_comment_posts(client, post, count=30):
    """Comments sent through the form: parse the page's form once, post `count` times."""
    page = client.get(post.get_absolute_url()).content.decode()
    form = re.search(r'<form[^>]*class="comment-form".*?</form>', page, re.S).group()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    action = re.search(r'action="([^"]+)"', form).group(1)
    times = []
    for number in range(count):
        fields = dict(data, name=f"Bench reader {number}", email=f"bench{number}-{time.time_ns()}@example.com",
                      body=f"A benchmark comment, number {number}, sent at {time.time_ns()}.")
        started = time.perf_counter()
        # Each from its own address, so the flood rule does not answer 429.
        response = client.post(action, fields, REMOTE_ADDR=f"198.18.{number // 250}.{number % 250 + 1}")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, response.status_code
    Comment.objects.filter(author_email__startswith="bench", author_name__startswith="Bench reader").delete()
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main():
    if connection.vendor != "postgresql":
        raise SystemExit("bench/big.py measures PostgreSQL: set DATABASE_URL.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.get("/")  # the sidebar's aggregates, computed once per site version
    rows = []
    failed = False
    for name, target in pages():
        if isinstance(target, Post):
            from comments import threads

            first = client.get(target.get_absolute_url())
            pages_count = threads.build_thread(target).pages
            del first
            target = f"{target.get_absolute_url()}?page={pages_count}"
        url = target.url() if isinstance(target, NewSearch) else target
        response, queries = capture(client, f"{url}{'&' if '?' in url else '?'}explain=1")
        assert response.status_code == 200, (target, response.status_code)
        scans = sequential_scans(queries)
        failed |= bool(scans)
        median, p90 = time_page(client, target)
        rows.append((name, target, median, p90, len(queries), ", ".join(scans) or "none"))
    post = Post.objects.published().annotate(n=Count("comments")).filter(n__gte=8, n__lte=12).first()
    post_median, post_p90 = time_comment_posts(Client(), post)

    print(f"Posts: {Post.objects.count():,}; comments: {Comment.objects.count():,}; PostgreSQL "
          f"{connection.pg_version // 10000}; {SAMPLES} uncached renders a page\n")
    print("| page | median ms | p90 ms | queries | seq scans of posts/comments |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, url, median, p90, queries, scans in rows:
        print(f"| {name} (`{url}`) | {median:.1f} | {p90:.1f} | {queries} | {scans} |")
    print(f"| comment POST (form, moderation rules, insert) | {post_median:.1f} | {post_p90:.1f} | | |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
