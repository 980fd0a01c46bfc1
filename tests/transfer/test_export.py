"""`export_wordpress` writes WXR 1.2, and importing it into an empty site gives the blog back."""

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from html import unescape

import pytest
from defusedxml import ElementTree
from django.contrib.auth import get_user_model
from django.utils import timezone

from blog.models import Post, Tag
from comments.models import Comment, ModerationLog
from pages.models import Page
from tests.transfer.conftest import WORDPRESS_FILE
from transfer.models import ImportRun, LegacyURL, SourceRecord

pytestmark = pytest.mark.django_db

WP = "http://wordpress.org/export/1.2/"
NS = {"wp": WP, "content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}


def comment(post, body, *, parent=None, status="approved", name="Reader", minutes=0, **fields):
    made = Comment.objects.create(
        post=post, parent=parent, author_name=name, body=body,
        created_at=datetime(2020, 5, 1, 12, tzinfo=dt_timezone.utc) + timedelta(minutes=minutes), **fields,
    )
    {"approved": made.approve, "rejected": made.reject, "spam": made.mark_spam}.get(
        status, lambda by: None
    )(by=None)
    return made


@pytest.fixture
def blog(make_post, make_user):
    """A small blog with every state the export must carry."""
    writer = make_user("writer-one", first_name="Wanda", last_name="Writer", email="wanda@example.org")
    published = make_post(
        title="Tables & footnotes <and> ]]> brackets", slug="tables", author=writer, tags=["History", "Tables"],
        body="| a | b |\n|---|---|\n| 1 | 2 |\n\nText with a note.[^1]\n\n[^1]: The note.",
        summary="A *summary* of it.",
        published_at=datetime(2020, 5, 1, 10, tzinfo=dt_timezone.utc),
    )
    make_post(title="A draft", slug="a-draft", status=Post.Status.DRAFT, author=writer, body="Not yet.")
    make_post(title="Scheduled", slug="scheduled", author=writer, published_at=timezone.now() + timedelta(days=30))
    make_post(title="Closed", slug="closed", author=writer, comments_enabled=False,
              published_at=datetime(2019, 1, 2, 23, 30, tzinfo=dt_timezone.utc))
    first = comment(published, "First *comment*.", name="Ann", author_email="ann@example.org",
                    author_url="https://ann.example.org/")
    reply = comment(published, "A reply.", parent=first, name="Bob", minutes=1)
    comment(published, "A reply to the reply.", parent=reply, name="Cy", minutes=2)
    comment(published, "Held for moderation.", name="Dee", status="pending", minutes=3)
    comment(published, "Buy things.", name="Spammer", status="spam", minutes=4)
    comment(published, "Rude.", parent=first, name="Eve", status="rejected", minutes=5)
    comment(published, "x" * 6000, name="Long", minutes=6)
    LegacyURL.objects.create(path="/2013/04/tables.html", post=published)
    return published


def blog_content():
    """The blog as readers and moderators know it, independent of database ids."""

    def thread(comments, parent=None):
        return [
            (c.author_name, c.author_email, c.author_url, c.body, c.body_html, c.status,
             c.created_at, thread(comments, c.pk))
            for c in comments if c.parent_id == parent
        ]

    posts = {}
    for post in Post.objects.select_related("author").prefetch_related("tags"):
        posts[post.title] = {
            "slug": post.slug, "body": post.body, "body_html": post.body_html, "summary": post.summary,
            "status": post.status, "published_at": post.published_at,
            "permalink": post.get_absolute_url() if post.published_at else "a preview",
            "comments_enabled": post.comments_enabled, "author": post.author.username,
            "tags": sorted(tag.name for tag in post.tags.all()),
            "old_urls": sorted(post.legacy_urls.values_list("path", flat=True)),
            "thread": thread(list(post.comments.order_by("created_at", "pk"))),
            "linkbacks": sorted(
                (r.data["type"], r.data["author_name"], r.data["content"])
                for r in SourceRecord.objects.filter(kind="linkback", post=post)
            ),
        }
    return posts


def page_content():
    """The pages as readers know them: address, text, state, menu place, old addresses."""
    return {
        page.title: (page.path, page.body, page.body_html, page.status, page.published_at, page.menu_order,
                     page.author.username, sorted(page.legacy_urls.values_list("path", flat=True)))
        for page in Page.objects.select_related("author")
    }


def empty_the_site():
    Page.objects.update(parent=None)
    Page.objects.all().delete()
    ModerationLog.objects.all().delete()
    SourceRecord.objects.all().delete()
    LegacyURL.objects.all().delete()
    ImportRun.objects.all().delete()
    Comment.objects.all().delete()
    Post.objects.all().delete()
    Tag.objects.all().delete()
    get_user_model().objects.all().delete()


def test_the_export_is_wxr_1_2_with_posts_tags_comments_and_authors(blog, run_command):
    root = ElementTree.fromstring(run_command("export_wordpress").encode())
    channel = root.find("channel")
    assert channel.findtext("wp:wxr_version", namespaces=NS) == "1.2"
    assert [a.findtext("wp:author_login", namespaces=NS) for a in channel.findall("wp:author", NS)] == ["writer-one"]
    assert {t.findtext("wp:tag_name", namespaces=NS) for t in channel.findall("wp:tag", NS)} == {"History", "Tables"}
    items = {unescape(item.findtext("title")): item for item in channel.findall("item")}
    assert {title: item.findtext("wp:status", namespaces=NS) for title, item in items.items()} == {
        "Tables & footnotes <and> ]]> brackets": "publish", "A draft": "draft", "Scheduled": "future",
        "Closed": "publish",
    }
    item = items["Tables & footnotes <and> ]]> brackets"]
    assert "<table>" in item.findtext("content:encoded", namespaces=NS)
    assert item.findtext("dc:creator", namespaces=NS) == "writer-one"
    assert item.findtext("wp:post_date_gmt", namespaces=NS) == "2020-05-01 10:00:00"
    assert items["A draft"].findtext("wp:post_date_gmt", namespaces=NS) == "0000-00-00 00:00:00"
    assert items["Closed"].findtext("wp:comment_status", namespaces=NS) == "closed"
    comments = {c.findtext("wp:comment_author", namespaces=NS): c for c in item.findall("wp:comment", NS)}
    states = {name: c.findtext("wp:comment_approved", namespaces=NS) for name, c in comments.items()}
    assert states == {"Ann": "1", "Bob": "1", "Cy": "1", "Dee": "0", "Spammer": "spam", "Eve": "trash", "Long": "1"}
    ids = {name: c.findtext("wp:comment_id", namespaces=NS) for name, c in comments.items()}
    parents = {name: c.findtext("wp:comment_parent", namespaces=NS) for name, c in comments.items()}
    assert parents["Bob"] == ids["Ann"] and parents["Cy"] == ids["Bob"] and parents["Ann"] == "0"
    assert comments["Ann"].findtext("wp:comment_author_email", namespaces=NS) == "ann@example.org"
    assert comments["Ann"].findtext("wp:comment_author_IP", namespaces=NS) == ""


def test_a_round_trip_through_an_empty_site_gives_the_same_blog(blog, run_command, write_file):
    before = blog_content()
    export = write_file(run_command("export_wordpress"))
    empty_the_site()
    run_command("import_wordpress", export)
    assert blog_content() == before
    # Comments keep their ids, so their #comment-<id> anchors still work.
    assert Comment.objects.get(author_name="Bob").parent.author_name == "Ann"


def test_the_wordpress_theme_unit_test_survives_a_round_trip(run_command, write_file):
    run_command("import_wordpress", WORDPRESS_FILE)
    before, pages_before = blog_content(), page_content()
    export = write_file(run_command("export_wordpress"))
    empty_the_site()
    output = run_command("import_wordpress", export)
    assert "Warnings" not in output.replace("longer than new comments may be", "").split("Warnings:")[0]
    assert blog_content() == before
    assert len(pages_before) == 21 and page_content() == pages_before


def test_exporting_twice_from_the_same_import_is_stable(blog, run_command, write_file):
    export = write_file(run_command("export_wordpress"))
    empty_the_site()
    run_command("import_wordpress", export)
    before = blog_content()
    second = run_command("import_wordpress", write_file(run_command("export_wordpress"), "again.xml"))
    # An export of this site imported back into it is recognised: nothing doubles or changes.
    assert re.search(r"posts\s+0\s+0\s+0\s+4", second)
    assert re.search(r"comments\s+0\s+0\s+7\s+0", second)  # same ids: found by their records
    assert blog_content() == before


def test_the_export_can_go_to_a_file(blog, run_command, tmp_path):
    target = tmp_path / "blog.xml"
    assert run_command("export_wordpress", "--output", target) == ""
    assert ElementTree.parse(target).getroot().tag == "rss"


def test_the_export_takes_a_fixed_number_of_queries(blog, make_post, run_command, django_assert_max_num_queries):
    for number in range(20):
        make_post(title=f"More {number}")
    with django_assert_max_num_queries(12):
        run_command("export_wordpress")
