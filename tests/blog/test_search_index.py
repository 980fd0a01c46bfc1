"""PostgreSQL search reads a stored, indexed vector that is exactly Post.search_vector()."""

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


def test_the_stored_vector_follows_an_edit(make_post):
    post = make_post(title="Before", body="Nothing here.")
    post.title = "Siege of the fortress"
    post.save()
    assert list(Post.objects.search("fortress")) == [post]
    assert list(Post.objects.search("before")) == []


def test_search_uses_the_index_not_a_scan_of_every_post(make_post):
    for number in range(5):
        make_post(title=f"Post {number}", body="Harbour and lighthouse.")
    sql, params = Post.objects.search("lighthouse").query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows would be scanned anyway: ask what the planner can do.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "post_search_document_idx" in plan
    assert "Seq Scan on blog_post" not in plan
