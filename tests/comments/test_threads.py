"""Reading a post's thread: nesting, placeholders, the seed thread, and a constant query count."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blog.models import Post
from comments.models import Comment
from comments import threads
from comments.threads import Node, assemble
from tests.comments.html_tree import comment_tree

pytestmark = pytest.mark.django_db


def page(client, post):
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_replies_nest_inside_the_comment_they_answer(client, published_post, make_comment):
    first = make_comment(age=timedelta(hours=5))
    reply = make_comment(parent=first, age=timedelta(hours=4))
    reply_to_reply = make_comment(parent=reply, age=timedelta(hours=3))
    second = make_comment(age=timedelta(hours=2))

    tree = comment_tree(page(client, published_post))

    assert tree[f"comment-{first.pk}"] == []
    assert tree[f"comment-{reply.pk}"] == [f"comment-{first.pk}"]
    assert tree[f"comment-{reply_to_reply.pk}"] == [f"comment-{first.pk}", f"comment-{reply.pk}"]
    assert tree[f"comment-{second.pk}"] == []


def test_the_thread_shows_name_date_body_permalink_and_reply_link(client, published_post,
                                                                 make_comment):
    comment = make_comment(name="Grace", body="Nice *point*.")

    html = page(client, published_post)

    assert "Grace" in html and "Nice <em>point</em>." in html
    assert f'href="{published_post.get_absolute_url()}#comment-{comment.pk}"' in html
    assert f'href="/comments/reply/{comment.pk}/"' in html
    assert "1 comment" in html


def test_comments_are_shown_oldest_first(client, published_post, make_comment):
    newer = make_comment(body="The newer one.", age=timedelta(hours=1))
    older = make_comment(body="The older one.", age=timedelta(hours=2))

    html = page(client, published_post)

    assert html.index(f'id="comment-{older.pk}"') < html.index(f'id="comment-{newer.pk}"')


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.REJECTED,
                                    Comment.Status.SPAM])
def test_comments_not_approved_are_hidden_from_readers(client, published_post, make_comment,
                                                       status):
    hidden = make_comment(status=status, body="Not for readers.")

    html = page(client, published_post)

    assert "Not for readers." not in html
    assert f"comment-{hidden.pk}" not in html


@pytest.mark.parametrize("status", [Comment.Status.REJECTED, Comment.Status.SPAM])
def test_a_removed_comment_with_approved_replies_keeps_its_place(client, published_post,
                                                                 make_comment, status):
    removed = make_comment(status=status, body="Something rude.", age=timedelta(hours=3))
    reply = make_comment(parent=removed, body="A kind answer.", age=timedelta(hours=2))

    html = page(client, published_post)
    tree = comment_tree(html)

    assert "Something rude." not in html
    assert "Comment removed." in html
    assert tree[f"comment-{reply.pk}"] == [f"comment-{removed.pk}"]
    assert f'href="/comments/reply/{removed.pk}/"' not in html
    assert "1 comment" in html


def test_a_chain_of_removed_comments_keeps_the_approved_reply_at_its_end(client, published_post,
                                                                          make_comment):
    top = make_comment(status=Comment.Status.REJECTED, age=timedelta(hours=3))
    middle = make_comment(parent=top, status=Comment.Status.SPAM, age=timedelta(hours=2))
    leaf = make_comment(parent=middle, body="Still here.", age=timedelta(hours=1))

    tree = comment_tree(page(client, published_post))

    assert tree[f"comment-{leaf.pk}"] == [f"comment-{top.pk}", f"comment-{middle.pk}"]


def test_a_removed_comment_whose_replies_are_all_hidden_leaves_no_trace(client, published_post,
                                                                         make_comment):
    removed = make_comment(status=Comment.Status.REJECTED)
    make_comment(parent=removed, status=Comment.Status.SPAM)

    html = page(client, published_post)

    assert "Comment removed." not in html
    assert f"comment-{removed.pk}" not in html


def test_a_post_page_makes_as_many_queries_for_300_comments_as_for_3(
    client, published_post, make_comment, django_assert_num_queries
):
    def queries_for_page():
        cache.clear()  # measure rendering, not the page cache
        with CaptureQueriesContext(connection) as queries:
            page(client, published_post)
        return len(queries)

    parents = [make_comment(age=timedelta(hours=400 - n)) for n in range(3)]
    with_three = queries_for_page()

    for n in range(297):
        parent = parents[n % 3] if n % 2 else None
        comment = make_comment(parent=parent, age=timedelta(minutes=300 - n))
        if n % 5 == 0:
            parents.append(comment)
    assert Comment.objects.count() == 300

    cache.clear()
    with django_assert_num_queries(with_three):
        html = page(client, published_post)
    assert "300 comments" in html


def test_the_thread_itself_takes_one_query(client, published_post, make_comment):
    make_comment(parent=make_comment())

    with CaptureQueriesContext(connection) as queries:
        page(client, published_post)
    sql = [q["sql"] for q in queries.captured_queries]

    assert sum('"comments_comment"' in query for query in sql) == 1


def test_the_thread_markup_lives_in_a_template_rendered_by_one_flat_loop():
    from pathlib import Path

    from django.conf import settings

    template = (Path(settings.BASE_DIR) / "templates/jinja2/comments/_thread_items.html").read_text()
    assert "{% for node in nodes %}" in template
    assert "{% include" not in template  # no recursion: any depth renders in one pass
    assert not hasattr(threads, "render_nodes")


def test_a_thread_is_rendered_once_per_version_and_again_when_it_changes(
    client, published_post, make_comment, django_capture_on_commit_callbacks
):
    from django.test import Client

    make_comment(body="First words.")
    url = published_post.get_absolute_url()
    assert "First words." in Client().get(url).content.decode()

    with CaptureQueriesContext(connection) as queries:
        Client().get(f"{url}?from=elsewhere")  # a page not kept yet, its thread kept
    assert not any('"comments_comment"' in q["sql"] for q in queries.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        make_comment(body="Second words.")
    assert "Second words." in Client().get(f"{url}?from=elsewhere").content.decode()


def test_the_thread_never_reads_commenters_private_fields(client, published_post, make_comment):
    make_comment(email="secret@example.org", ip_address="203.0.113.9", user_agent="SecretAgent")

    with CaptureQueriesContext(connection) as queries:
        page(client, published_post)
    thread_query = next(q["sql"] for q in queries.captured_queries if '"comments_comment"' in q["sql"])

    select_list = thread_query.split(" FROM ")[0]
    assert "author_email" not in select_list
    assert "ip_address" not in select_list
    assert "user_agent" not in select_list


def test_a_deep_thread_renders_with_every_list_closed(client, published_post, make_comment):
    parent = None
    chain = []
    for level in range(6):
        parent = make_comment(parent=parent, age=timedelta(hours=10 - level))
        chain.append(parent)
    after = make_comment(age=timedelta(hours=1))

    tree = comment_tree(page(client, published_post))

    assert tree[f"comment-{chain[-1].pk}"] == [f"comment-{c.pk}" for c in chain[:-1]]
    assert tree[f"comment-{after.pk}"] == []


def test_the_deepest_comments_have_no_reply_link(client, published_post, make_comment, site_rules):
    site_rules(comments_max_depth=1)
    top = make_comment(age=timedelta(hours=2))
    deepest = make_comment(parent=top, age=timedelta(hours=1))

    html = page(client, published_post)

    assert f'href="/comments/reply/{top.pk}/"' in html
    assert f'href="/comments/reply/{deepest.pk}/"' not in html


def test_assembling_an_imported_thread_deeper_than_python_recursion_allows():
    nodes = [
        Node(pk=n, parent_id=n - 1 if n else None, depth=n, author_name="A", author_url="",
             user_id=None, body_html="", status=Comment.Status.APPROVED, created_at=None)
        for n in range(3000)
    ]

    thread = assemble(nodes)

    assert [node.pk for node in thread] == list(range(3000))
    assert len(thread.nodes[-1].closing) == 2999


def test_the_seed_thread_renders_both_replies_inside_the_first_comment(client):
    call_command("load_seed", stdout=StringIO())
    call_command("load_seed", stdout=StringIO())  # idempotent: still three comments
    post = Post.objects.get(slug="japanese-prisoners-of-war-and-how-they-were-treated")
    first, reply_1, reply_2 = post.comments.order_by("created_at")

    html = page(client, post)
    tree = comment_tree(html)

    assert post.comments.count() == 3
    assert first.body.startswith("Interesting facts. Do you think that PoW should be kept interned")
    assert reply_1.body.startswith("personally i think")
    assert reply_2.body.startswith("I agree that once a conflict is over")
    assert tree[f"comment-{first.pk}"] == []
    assert tree[f"comment-{reply_1.pk}"] == [f"comment-{first.pk}"]
    assert tree[f"comment-{reply_2.pk}"] == [f"comment-{first.pk}"]
    assert html.count("Anonymous") >= 3
    assert "3 comments" in html


def test_comment_dates_are_shown_in_the_sites_time_zone(client, published_post, make_comment,
                                                        settings):
    from datetime import datetime, timezone as dt_timezone

    settings.TIME_ZONE = "Asia/Tokyo"
    comment = make_comment()
    Comment.objects.filter(pk=comment.pk).update(
        created_at=datetime(2013, 4, 11, 20, 30, tzinfo=dt_timezone.utc)
    )

    html = page(client, published_post)

    assert '<time datetime="2013-04-12T05:30:00+09:00">12 April 2013, 05:30</time>' in html
