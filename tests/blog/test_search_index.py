"""PostgreSQL search reads stored, indexed vectors from narrow post rows (blog/migrations/0006, 0007)."""

import pytest
from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from blog.models import Post

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def test_the_stored_vector_is_exactly_search_vector(make_post):
    make_post(title="Winter crossing", body="The *river* froze; the convoy crossed at dawn.")
    make_post(title="", body="")
    rows = Post.objects.annotate(
        stored=Cast(RawSQL('"blog_post"."search_document"', []), TextField()),
        computed=Cast(Post.search_vector(), TextField()),
    ).values_list("stored", "computed")
    assert len(rows) == 2
    for stored, computed in rows:
        assert stored == computed


def test_the_stored_vectors_follow_an_edit(make_post):
    post = make_post(title="Before", body="Nothing here.")
    post.title = "Siege of the fortress"
    post.save()
    assert list(Post.objects.search("fortress")) == [post]
    assert list(Post.objects.search("before")) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title_document = to_tsvector('english', title) FROM blog_post WHERE id = %s", [post.pk]
        )
        assert cursor.fetchone() == (True,)


def test_post_rows_keep_long_text_out_of_line_and_short_columns_in_the_row():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'blog_post'")
        assert "toast_tuple_target=256" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'blog_post'::regclass "
            "AND attname IN ('title', 'slug', 'status', 'title_document')"
        )
        assert dict(cursor.fetchall()) == {"title": "m", "slug": "m", "status": "m", "title_document": "m"}


def explain_search(results):
    """The plan of the query that finds `results`, as the search runs it."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as executed:
        results.matching_ids
    statements = [query["sql"] for query in executed.captured_queries]
    assert any("SET LOCAL enable_seqscan = off" in sql for sql in statements)
    [search] = [sql for sql in statements if sql.startswith("SELECT")]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + search)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_finds_its_matches_through_an_index_never_testing_post_after_post(make_post):
    for number in range(5):
        make_post(title=f"Lighthouse {number}", body="Harbour and lighthouse.")

    # Few posts: the planner may start from the published posts' index instead.
    published_plan = explain_search(Post.objects.published().search("lighthouse"))
    every_post_plan = explain_search(Post.objects.search("lighthouse"))

    for plan in (published_plan, every_post_plan):
        assert "Bitmap Index Scan" in plan
        assert "Seq Scan" not in plan
    assert "post_search_document_idx" in every_post_plan


def test_the_planner_settings_of_a_search_end_with_it(make_post):
    make_post(title="Lighthouse", body="Harbour.")

    # The test runs inside a transaction, as a request with ATOMIC_REQUESTS would.
    assert len(Post.objects.published().search("lighthouse").matching_ids) == 1

    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone() == ("on",)
