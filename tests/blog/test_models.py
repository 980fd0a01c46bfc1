from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "offset", "expected"),
    [
        (Post.Status.PUBLISHED, timedelta(days=-1), True),
        (Post.Status.PUBLISHED, timedelta(seconds=-1), True),
        (Post.Status.PUBLISHED, timedelta(minutes=5), False),
        (Post.Status.DRAFT, timedelta(days=-1), False),
        (Post.Status.DRAFT, timedelta(days=1), False),
    ],
    ids=["published-yesterday", "published-a-second-ago", "scheduled", "draft-dated-past", "draft-dated-future"],
)
def test_published_truth_table(make_post, status, offset, expected):
    post = make_post(status=status, published_at=timezone.now() + offset)

    assert (post in Post.objects.published()) is expected
    assert post.is_published is expected


@pytest.mark.parametrize(
    ("status", "offset", "expected"),
    [
        (Post.Status.PUBLISHED, timedelta(minutes=5), True),
        (Post.Status.PUBLISHED, timedelta(days=-1), False),
        (Post.Status.DRAFT, timedelta(days=1), False),
    ],
    ids=["due-later", "already-published", "future-draft"],
)
def test_scheduled_means_published_but_not_yet_due(make_post, status, offset, expected):
    post = make_post(status=status, published_at=timezone.now() + offset)

    assert (post in Post.objects.scheduled()) is expected


def test_draft_without_a_date_is_not_published(make_post):
    draft = make_post(status=Post.Status.DRAFT, published_at=None)

    assert draft not in Post.objects.published()
    assert draft.is_published is False


def test_post_due_exactly_now_is_published(make_post, monkeypatch):
    moment = timezone.now()
    post = make_post(published_at=moment)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    assert post in Post.objects.published()
    assert post.is_published


def test_scheduled_post_appears_by_itself_when_due(make_post, monkeypatch):
    due = timezone.now() + timedelta(hours=1)
    post = make_post(published_at=due)
    assert post not in Post.objects.published()

    monkeypatch.setattr(timezone, "now", lambda: due + timedelta(seconds=1))

    assert post in Post.objects.published()


def test_publishing_without_a_date_publishes_now(author):
    before = timezone.now()
    post = Post(title="Now", slug="now", body="x", status=Post.Status.PUBLISHED, author=author)
    post.save()

    assert before <= post.published_at <= timezone.now()


def test_body_is_rendered_and_sanitized_on_save(make_post):
    post = make_post(body="Hello **world** <script>alert(1)</script>")

    assert "<strong>world</strong>" in post.body_html
    assert "<script" not in post.body_html


def test_summary_defaults_to_the_first_paragraph(make_post):
    post = make_post(body="First *paragraph*.\n\nSecond paragraph.")

    assert post.summary_html == "<p>First <em>paragraph</em>.</p>"


def test_given_summary_is_used(make_post):
    post = make_post(body="First.\n\nSecond.", summary="A **short** summary.")

    assert post.summary_html.strip() == "<p>A <strong>short</strong> summary.</p>"


def test_permalink_uses_the_publication_date_and_slug(make_post):
    post = make_post(slug="hello", published_at=timezone.make_aware(timezone.datetime(2013, 4, 10, 12)))

    assert post.get_absolute_url() == "/2013/04/10/hello/"


def test_tags_whose_names_slugify_alike_get_distinct_slugs():
    from blog.models import Tag

    first = Tag.objects.create(name="C")
    second = Tag.objects.create(name="C++")
    japanese = Tag.objects.create(name="日本")

    assert (first.slug, second.slug) == ("c", "c-2")
    assert japanese.slug == "日本"


def test_published_posts_permalink_cannot_change(make_post):
    from django.core.exceptions import ValidationError

    post = make_post(slug="fixed")
    post.slug = "moved"

    with pytest.raises(ValidationError, match="cannot change"):
        post.full_clean()


def test_draft_permalink_can_still_change(make_post):
    draft = make_post(slug="draft", status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=1))
    draft.slug = "better-name"

    draft.full_clean()
