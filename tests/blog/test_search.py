"""Search: every word must match; title matches come first, then the rest, newest first."""

from datetime import timedelta

import pytest
from django.db import connection

from blog.models import Post

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def test_search_finds_a_word_only_in_the_body(make_post):
    wanted = make_post(title="Camps", body="They worked in Komsomolsk-on-Amur.")
    make_post(title="Other", body="Nothing here.")

    assert list(Post.objects.published().search("Komsomolsk")) == [wanted]


def test_search_finds_a_word_of_the_title(make_post):
    wanted = make_post(title="Japanese prisoners", body="Text.")
    make_post(title="Other", body="Nothing here.")

    assert list(Post.objects.published().search("prisoners")) == [wanted]


def test_search_needs_every_word(make_post):
    both = make_post(title="Rivers", body="The Amur railway.")
    make_post(title="Only railway", body="Text.")

    assert list(Post.objects.published().search("Amur railway")) == [both]


def test_empty_search_finds_nothing(make_post):
    make_post()

    assert list(Post.objects.search("   ")) == []


def test_title_matches_come_first_then_the_others_newest_first(make_post):
    old_in_body = make_post(title="Rivers", body="The Amur railway.", age=timedelta(days=9))
    new_in_body = make_post(title="Lakes", body="Along the Amur railway.", age=timedelta(days=1))
    old_in_title = make_post(title="The Amur railway", body="Text.", age=timedelta(days=20))
    new_in_title = make_post(title="Amur railway camps", body="Text.", age=timedelta(days=5))

    results = list(Post.objects.published().search("Amur railway"))

    assert results == [new_in_title, old_in_title, new_in_body, old_in_body]


def test_pages_of_results_continue_where_the_last_one_stopped(client, make_post):
    # Ten a page: title matches fill the first page and part of the second, the rest
    # follow on the second page and fill the third.
    in_title = [make_post(title=f"Harbour {n}", body="Text.", age=timedelta(days=n)) for n in range(12)]
    in_body = [make_post(title=f"Quay {n}", body="The harbour.", age=timedelta(days=20 + n)) for n in range(9)]

    listed = []
    for page in (1, 2, 3):
        response = client.get("/search/", {"q": "harbour", "page": page})
        assert response.status_code == 200
        listed += list(response.context["object_list"])

    assert listed == in_title + in_body
    assert client.get("/search/", {"q": "harbour", "page": 4}).status_code == 404


def test_results_sliced_anywhere_match_the_whole_list(make_post):
    for n in range(3):
        make_post(title=f"Lighthouse {n}", body="Text.", age=timedelta(days=n))
    for n in range(4):
        make_post(title=f"Cape {n}", body="A lighthouse.", age=timedelta(days=10 + n))
    results = Post.objects.published().search("lighthouse")
    whole = list(results)

    for start in range(8):
        for stop in range(start, 9):
            assert results[start:stop] == whole[start:stop], (start, stop)
    assert results[4] == whole[4]
    with pytest.raises(IndexError):
        results[7]


def test_a_search_matching_more_than_the_limit_lists_the_first_ones_and_says_so(client, make_post, settings):
    settings.SEARCH_MAX_RESULTS = 3
    posts = [make_post(title=f"Convoy {n}", body="Text.", age=timedelta(days=n)) for n in range(5)]

    response = client.get("/search/", {"q": "convoy"})

    assert response.context["paginator"].count == 3
    assert list(response.context["object_list"]) == posts[:3]
    assert "At least 3 posts found for “convoy”; the first 3 are listed." in response.content.decode()


def test_a_search_under_the_limit_says_how_many_posts_it_found(client, make_post, settings):
    settings.SEARCH_MAX_RESULTS = 3
    make_post(title="Convoy", body="Text.")
    make_post(title="Convoy again", body="Text.")

    content = client.get("/search/", {"q": "convoy"}).content.decode()

    assert "2 posts found for “convoy”." in content


def test_search_lists_no_drafts_or_scheduled_posts(make_post):
    published = make_post(title="Siege", body="Text.")
    make_post(title="Siege draft", status=Post.Status.DRAFT)
    make_post(title="Siege to come", age=-timedelta(days=1))

    assert list(Post.objects.published().search("siege")) == [published]


@on_postgresql
def test_a_word_excluded_from_the_query_excludes_posts_that_have_it_in_the_body(make_post):
    wanted = make_post(title="Winter camps", body="Snow.")
    make_post(title="Winter crossing", body="The bridge froze.")

    assert list(Post.objects.published().search("winter -bridge")) == [wanted]


@on_postgresql
def test_search_understands_stems_and_phrases(make_post):
    stems = make_post(title="Prisoners", body="The prisoner was treated well.")
    make_post(title="Other", body="Treated the well prisoner.")

    assert set(Post.objects.published().search("treating prisoners")) == set(Post.objects.all())
    assert list(Post.objects.published().search('"treated well"')) == [stems]
