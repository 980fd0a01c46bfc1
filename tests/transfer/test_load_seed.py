from io import StringIO

import pytest
from django.core.management import call_command

from blog.models import Post
from comments.models import Comment
from transfer.models import LegacyURL

pytestmark = pytest.mark.django_db

SEED_URL = "/2013/04/10/japanese-prisoners-of-war-and-how-they-were-treated/"


def test_seed_article_is_served_at_its_permalink(client):
    call_command("load_seed", stdout=StringIO())

    response = client.get(SEED_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1 class=\"post-title\">Japanese prisoners of war and how they were treated.</h1>" in content
    assert "Wednesday, 10 April 2013" in content
    # The text is the source's, its first and last sentences and its garbled table included.
    assert "By the end of World War 11 there were from 560,000 to 760,000 Japanese prisoners od war" in content
    assert "yearnumber releasednotes" in content and "971 transferred to PRC" in content
    assert "leaving 2,988 remaining  USSR" in content
    assert "then came word that 47 boys were shot and killed. the men were deliberately shot." in content


def test_loading_the_seed_twice_leaves_one_post_and_three_comments():
    call_command("load_seed", stdout=StringIO())
    call_command("load_seed", stdout=StringIO())

    post = Post.objects.get()
    assert post.is_published
    assert Comment.objects.filter(post=post).count() == 3


def test_seed_thread_is_one_comment_with_two_replies():
    call_command("load_seed", stdout=StringIO())

    first = Comment.objects.get(parent=None)
    replies = list(first.replies.order_by("created_at"))

    assert first.body.startswith("Interesting facts. Do you think that PoW should be kept interned")
    assert [reply.body.split()[0] for reply in replies] == ["personally", "I"]
    assert all(c.status == Comment.Status.APPROVED for c in [first, *replies])
    assert {c.author_name for c in [first, *replies]} == {"Anonymous"}
    assert all(c.created_at.date().isoformat() > "2013-04-10" for c in [first, *replies])


def test_search_finds_the_seed_article_by_a_word_only_in_its_body(client):
    call_command("load_seed", stdout=StringIO())

    response = client.get("/search/", {"q": "Komsomolsk"})

    assert [post.slug for post in response.context["object_list"]] == [
        "japanese-prisoners-of-war-and-how-they-were-treated"
    ]


def test_the_seeds_old_blogger_address_leads_to_its_permalink(client):
    call_command("load_seed", stdout=StringIO())

    response = client.get("/2013/04/japanese-prisoners-of-war-and-how-they.html")

    assert response.status_code == 301
    assert response["Location"] == SEED_URL


def test_loading_the_seed_twice_keeps_one_old_address():
    call_command("load_seed", stdout=StringIO())
    call_command("load_seed", stdout=StringIO())

    assert list(LegacyURL.objects.values_list("path", "post__slug")) == [
        ("/2013/04/japanese-prisoners-of-war-and-how-they.html",
         "japanese-prisoners-of-war-and-how-they-were-treated"),
    ]


def test_loading_the_seed_shows_it_on_an_already_cached_home_page(client, django_capture_on_commit_callbacks):
    assert b"Japanese prisoners of war" not in client.get("/").content  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_seed", stdout=StringIO())

    assert b"Japanese prisoners of war" in client.get("/").content
