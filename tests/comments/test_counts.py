"""Comment counts beside each post on the home page, archives, tags and search."""

import pytest
from django.core.cache import cache

from comments.models import Comment

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_each_posts_count_of_approved_comments(client, make_post,
                                                                    make_comment):
    busy = make_post(title="Busy")
    quiet = make_post(title="Quiet")
    for _ in range(3):
        make_comment(post=busy)
    make_comment(post=busy, status=Comment.Status.PENDING)
    make_comment(post=quiet, status=Comment.Status.SPAM)

    html = client.get("/").content.decode()

    assert f'href="{busy.get_absolute_url()}#comments">3 comments</a>' in html
    assert f"{quiet.get_absolute_url()}#comments" not in html


def test_archives_tag_pages_and_search_show_counts(client, make_post, make_comment):
    post = make_post(title="Counted words", tags=["History"])
    make_comment(post=post)
    local = post.published_at

    for url in (f"/{local:%Y}/", f"/{local:%Y}/{local:%m}/", "/tags/history/",
                "/search/?q=Counted"):
        html = client.get(url).content.decode()
        assert f'href="{post.get_absolute_url()}#comments">1 comment</a>' in html, url


def test_counting_takes_one_query_however_many_posts_are_listed(client, make_post, make_comment,
                                                               django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_comment(post=make_post())
    with CaptureQueriesContext(connection) as one_post:
        client.get("/")
    for _ in range(9):
        make_comment(post=make_post())

    cache.clear()  # measure rendering, not the page cache
    with django_assert_num_queries(len(one_post)):
        html = client.get("/").content.decode()
    assert html.count("1 comment</a>") == 10
