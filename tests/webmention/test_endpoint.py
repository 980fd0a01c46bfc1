"""The endpoint: what it accepts at once (202), what it refuses (400) and why."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from blog.models import Post
from delivery.models import Delivery
from tests.webmention.conftest import permalink
from webmention.models import Mention

pytestmark = pytest.mark.django_db

SOURCE = "https://ada.example/notes/1"


def test_a_valid_webmention_is_accepted_and_its_check_queued(webmention, post):
    response = webmention(SOURCE, permalink(post))

    assert response.status_code == 202
    assert response["Content-Type"].startswith("text/plain")
    mention = Mention.objects.get()
    assert (mention.post, mention.source, mention.state) == (post, SOURCE, Mention.State.WAITING)
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.recipient, delivery.payload) == ("webmention-in", SOURCE, {"mention": mention.pk})


@pytest.mark.parametrize("variant", ["", "#comment-3", "?page=2", "strip-slash"])
def test_the_target_may_be_the_permalink_with_or_without_slash_fragment_or_query(webmention, post, variant):
    target = permalink(post).rstrip("/") if variant == "strip-slash" else permalink(post) + variant

    assert webmention(SOURCE, target).status_code == 202


def test_the_target_may_be_the_https_address_of_our_site(webmention, post, settings):
    target = permalink(post).replace("http://", "https://")

    assert webmention(SOURCE, target).status_code == 202


@pytest.mark.parametrize("source, target, message", [
    ("", "{post}", "source is missing"),
    ("https://ada.example/", "", "target is missing"),
    ("ftp://ada.example/x", "{post}", "source must be an http or https URL"),
    ("javascript:alert(1)", "{post}", "source must be an http or https URL"),
    ("not a url", "{post}", "source must be an http or https URL"),
    ("https://ada.example/" + "a" * 2000, "{post}", "longer than 2000"),
    ("https://ada.example/", "mailto:me@example.org", "target must be an http or https URL"),
    ("https://ada.example/a\x00b", "{post}", "source holds a space or a control character"),
    ("https://ada.example/a\x01b", "{post}", "source holds a space or a control character"),
    ("https://ada.example/a\x7fb", "{post}", "source holds a space or a control character"),
    ("https://ada.example/", "{post}\x00", "target holds a space or a control character"),
    ("https://" + "ü" * 60 + ".example/", "{post}", "source's host is not a valid domain name"),
    ("{post}", "{post}", "the same URL"),
    ("https://ada.example/", "https://elsewhere.example/2020/01/01/x/", "not a published post"),
    ("https://ada.example/", "{site}/tags/", "not a published post"),
    ("https://ada.example/", "{site}/2020/01/01/no-such-post/", "not a published post"),
    ("https://ada.example/", "{site}/2020/02/31/on-engines/", "not a published post"),
    ("https://ada.example/", "{draft}", "not a published post"),
    ("https://ada.example/", "{scheduled}", "not a published post"),
])
def test_each_invalid_webmention_is_refused_with_its_reason(webmention, post, make_post, settings, source, target,
                                                           message):
    draft = make_post(title="Draft", status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=1))
    scheduled = make_post(title="Later", published_at=timezone.now() + timedelta(days=1))
    values = {"post": permalink(post), "site": settings.SITE_URL, "draft": permalink(draft),
              "scheduled": permalink(scheduled)}

    response = webmention(source.format(**values), target.format(**values))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Mention.objects.exists() and not Delivery.objects.exists()


def test_a_source_whose_bytes_are_not_utf8_is_refused(client, post):
    body = f"source=https%3A%2F%2Fada.example%2F%FF%FE&target={quote(permalink(post), safe='')}"

    response = client.generic("POST", "/webmention/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "source is not UTF-8" in response.content.decode()
    assert not Mention.objects.exists()


@pytest.mark.parametrize("content_type, body", [
    ("application/json", '{"source": "https://ada.example/notes/1", "target": "{post}"}'),
    ("text/plain", "source=https://ada.example/notes/1&target={post}"),
    ("", "source=https://ada.example/notes/1&target={post}"),
])
def test_a_body_that_is_not_form_encoded_is_refused_as_unsupported(client, post, content_type, body):
    body = body.replace("{post}", permalink(post))

    response = client.generic("POST", "/webmention/", body, content_type=content_type)

    assert response.status_code == 415
    assert "form-encoded" in response.content.decode()
    assert not Mention.objects.exists()


def test_a_multipart_form_is_taken_like_a_form_encoded_one(client, post):
    response = client.post("/webmention/", {"source": SOURCE, "target": permalink(post)})

    assert response.status_code == 202


@pytest.mark.parametrize("body", [
    "source=https://ada.example/1&source=https://grace.example/2&target={post}",
    "source=https://ada.example/1&target={post}&target={post}",
    "source=&source=https://ada.example/1&target={post}",
])
def test_a_webmention_naming_two_sources_or_two_targets_is_refused(client, post, body):
    body = body.replace("{post}", quote(permalink(post), safe=""))

    response = client.generic("POST", "/webmention/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "Send one source and one target" in response.content.decode()
    assert not Mention.objects.exists()


@pytest.mark.parametrize("variant", ["https", "strip-slash", "?page=2"])
def test_a_source_that_is_the_target_post_itself_is_refused(webmention, post, variant):
    # The post page links to itself (its canonical link): checked, it would mention itself.
    source = {"https": permalink(post).replace("http://", "https://"),
              "strip-slash": permalink(post).rstrip("/")}.get(variant, permalink(post) + variant)

    response = webmention(source, permalink(post))

    assert response.status_code == 400
    assert "the target post itself" in response.content.decode()
    assert not Mention.objects.exists()


def test_another_of_our_posts_may_be_the_source(webmention, post, make_post):
    other = make_post(title="Later thoughts")

    assert webmention(permalink(other), permalink(post)).status_code == 202


def test_a_post_closed_to_comments_takes_no_new_mentions(webmention, make_post):
    closed = make_post(title="Closed", comments_enabled=False)

    response = webmention(SOURCE, permalink(closed))

    assert response.status_code == 400
    assert "no longer takes comments" in response.content.decode()


def test_a_mention_already_received_may_still_be_updated_after_comments_close(webmention, post):
    webmention(SOURCE, permalink(post))
    Post.objects.filter(pk=post.pk).update(comments_enabled=False)
    Delivery.objects.update(status=Delivery.Status.SENT)

    assert webmention(SOURCE, permalink(post)).status_code == 202
    assert Mention.objects.get().receipts == 2


def test_a_webmention_sent_again_while_its_check_waits_is_checked_once(webmention, post):
    for _ in range(3):
        assert webmention(SOURCE, permalink(post)).status_code == 202

    assert Mention.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_a_webmention_sent_again_after_its_check_is_checked_again(webmention, post):
    webmention(SOURCE, permalink(post))
    Delivery.objects.update(status=Delivery.Status.SENT)

    webmention(SOURCE, permalink(post))

    assert Mention.objects.get().receipts == 2
    assert Delivery.objects.filter(status=Delivery.Status.WAITING).count() == 1


def test_a_get_is_told_to_post(client):
    response = client.get("/webmention/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_endpoint_is_not_there_when_webmentions_are_turned_off(webmention, post, settings, client):
    settings.WEBMENTION_ENABLED = False

    assert webmention(SOURCE, permalink(post)).status_code == 404
    assert client.get("/webmention/").status_code == 404
    assert not Mention.objects.exists()


def test_one_source_site_sending_too_many_is_told_to_wait(webmention, make_post, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "webmention-source": "3/1h"}
    posts = [make_post(title=f"Post {n}") for n in range(4)]

    answers = [webmention(f"https://ada.example/notes/{n}", permalink(p)).status_code
               for n, p in enumerate(posts)]
    other_site = webmention("https://grace.example/notes/1", permalink(posts[3]))

    assert answers == [202, 202, 202, 429]
    assert other_site.status_code == 202
    assert Mention.objects.count() == 4


def test_a_source_site_is_counted_once_however_its_name_is_spelled(webmention, make_post, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "webmention-source": "2/1h"}
    posts = [make_post(title=f"Post {n}") for n in range(3)]
    spellings = ["https://bücher.example/1", "https://xn--bcher-kva.example/2", "https://BÜCHER.example./3"]

    answers = [webmention(source, permalink(p)).status_code for source, p in zip(spellings, posts)]

    assert answers == [202, 202, 429]


def test_one_client_sending_too_many_is_told_to_wait(webmention, post, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "webmention": "2/10m"}

    answers = [webmention(f"https://site{n}.example/", permalink(post)).status_code for n in range(3)]

    assert answers == [202, 202, 429]


def test_the_endpoint_needs_no_csrf_token(post):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/webmention/", {"source": SOURCE, "target": permalink(post)})

    assert response.status_code == 202


def test_accepting_a_webmention_costs_a_fixed_number_of_queries(webmention, post, django_assert_num_queries):
    # The post, the site's comment rules (2), the mention (found or made, then counted),
    # the delivery and its task, and their savepoints (8).
    with django_assert_num_queries(16):
        assert webmention(SOURCE, permalink(post)).status_code == 202


def test_refusing_a_webmention_for_no_post_costs_one_query(webmention, settings, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert webmention(SOURCE, f"{settings.SITE_URL}/2020/01/01/nothing/").status_code == 400
