"""Importing WordPress's theme unit test export, and what a second or later import does."""

import re
from html import unescape
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from defusedxml import ElementTree
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from blog.models import Post, Tag
from comments.models import Comment, ModerationLog
from tests.transfer.conftest import WORDPRESS_FILE
from transfer import html
from transfer.models import ImportRun, LegacyURL, SourceRecord

pytestmark = pytest.mark.django_db

NS = {
    "wp": "https://wordpress.org/export/1.2/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
STATES = {"1": Comment.Status.APPROVED, "0": Comment.Status.PENDING, "spam": Comment.Status.SPAM}


def source_items():
    """The file's posts, read independently of the importer."""
    channel = ElementTree.parse(WORDPRESS_FILE).getroot().find("channel")
    return [item for item in channel.findall("item") if item.findtext("wp:post_type", namespaces=NS) == "post"]


def letters(markup):
    return "".join(re.findall(r"\w", unescape(re.sub(r"<[^>]*>", "", markup))))


def keeps_every_word(source_html, imported_html):
    """The source's letters all appear, in order, in the import (which may add, e.g., an
    image's description as the text of a link to it)."""
    remaining = iter(letters(imported_html))
    return all(letter in remaining for letter in letters(source_html))


@pytest.fixture
def imported(run_command):
    return run_command("import_wordpress", WORDPRESS_FILE)


def test_every_post_arrives_with_its_state(imported):
    assert Post.objects.count() == 58
    # 56 published in WordPress, one of them password-protected (a draft here), one
    # scheduled, one draft.
    assert Post.objects.published().count() == 55
    scheduled = Post.objects.get(title="Scheduled")
    assert scheduled.status == Post.Status.PUBLISHED and scheduled.published_at.year == 2030
    assert not scheduled.is_published
    assert set(Post.objects.filter(status=Post.Status.DRAFT).values_list("title", flat=True)) == {
        "Draft", 'Template: Password Protected (the password is "enter")',
    }
    assert "password-protected in WordPress: imported as a draft" in imported


def test_publication_dates_are_the_exports_gmt_dates(imported):
    for item in source_items():
        if item.findtext("wp:status", namespaces=NS) != "publish":
            continue
        post = SourceRecord.objects.get(kind="post", source_id=item.findtext("wp:post_id", namespaces=NS)).post
        expected = datetime.strptime(item.findtext("wp:post_date_gmt", namespaces=NS), "%Y-%m-%d %H:%M:%S")
        assert post.published_at == expected.replace(tzinfo=dt_timezone.utc), post.title


def test_comments_keep_their_thread_and_state_comment_by_comment(imported):
    checked = 0
    for item in source_items():
        post = SourceRecord.objects.get(kind="post", source_id=item.findtext("wp:post_id", namespaces=NS)).post
        for element in item.findall("wp:comment", NS):
            if element.findtext("wp:comment_type", namespaces=NS) in ("pingback", "trackback"):
                continue
            number = int(element.findtext("wp:comment_id", namespaces=NS))
            parent = int(element.findtext("wp:comment_parent", namespaces=NS))
            comment = Comment.objects.get(pk=number)  # the WordPress id, kept
            assert comment.post == post
            assert comment.parent_id == (parent or None)
            assert comment.status == STATES[element.findtext("wp:comment_approved", namespaces=NS)]
            assert comment.author_name == element.findtext("wp:comment_author", namespaces=NS)
            gmt = datetime.strptime(element.findtext("wp:comment_date_gmt", namespaces=NS), "%Y-%m-%d %H:%M:%S")
            assert comment.created_at == gmt.replace(tzinfo=dt_timezone.utc)
            # Every word is kept (an image's description too, as the text of a link to it).
            assert keeps_every_word(element.findtext("wp:comment_content", namespaces=NS), comment.body_html)
            checked += 1
    assert checked == Comment.objects.count() == 24


def test_the_thread_nine_replies_deep_stays_nested(imported):
    deepest = Comment.objects.get(body__startswith="Comment Depth 10")
    assert deepest.depth == 9
    chain = []
    comment = deepest
    while comment is not None:
        chain.append(html.plain_text(comment.body_html)[:16])
        comment = comment.parent
    assert chain == [f"Comment Depth {n:02d}" for n in range(10, 0, -1)]


def test_pending_comment_stays_pending_and_says_why(imported):
    pending = Comment.objects.get(status=Comment.Status.PENDING)
    assert pending.body.startswith("this is test comment")
    assert pending.held_reason == "Pending in the WordPress export"


def test_every_moderation_state_is_logged_as_a_decision(imported):
    decided = Comment.objects.exclude(status=Comment.Status.PENDING).count()
    assert ModerationLog.objects.count() == decided == 23


def test_pingbacks_and_trackbacks_are_kept_apart_from_comments(imported):
    post = Post.objects.get(title="Template: Pingbacks And Trackbacks")
    assert list(post.comments.values_list("author_name", flat=True)) == ["John Doe"]
    linkbacks = SourceRecord.objects.filter(kind=SourceRecord.Kind.LINKBACK, post=post)
    assert sorted(record.data["type"] for record in linkbacks) == ["pingback", "pingback", "trackback", "trackback"]
    assert "Ping 1 « What’s a tellyworth?" in {record.data["author_name"] for record in linkbacks}


def test_no_post_shows_raw_shortcodes_or_block_markup(imported, client):
    shortcode = re.compile(r"\[/?(caption|gallery|audio|video|embed|playlist)\b")
    for post in Post.objects.all():
        outside_code = re.sub(r"<pre>.*?</pre>", "", post.body_html, flags=re.DOTALL)
        assert not shortcode.search(outside_code), post.title
        assert "<!--" not in outside_code and "&lt;!--" not in outside_code, post.title
        assert "wp:" not in outside_code, post.title
    page = client.get(Post.objects.get(title="Post Format: Gallery").get_absolute_url())
    assert page.status_code == 200
    assert b"[gallery" not in page.content


def test_imported_bodies_render_exactly_as_imported(imported):
    for post in Post.objects.exclude(body=""):
        assert html.same_html(post.body_html, post.body), post.title


def test_captions_become_figures_and_galleries_show_the_exports_images(imported):
    captioned = Post.objects.get(title="Post Format: Image (Caption)")
    assert "<figure>" in captioned.body_html and "<figcaption>" in captioned.body_html
    gallery = Post.objects.get(title="Post Format: Gallery")
    assert gallery.body_html.count("<img ") >= 10
    audio = Post.objects.get(title="Post Format: Audio")
    assert 'href="https://wpthemetestdata.files.wordpress.com/2008/06/originaldixielandjazzbandwithalbernard-stlouisblues.mp3"' in audio.body_html


def test_dropped_dynamic_blocks_are_counted_in_the_report(imported):
    assert "wp:latest-posts block ×4" in imported


def test_menus_and_attachments_are_skipped_with_counts(imported):
    assert re.search(r"pages\s+21\s+0\s+0\s+0\s+0", imported)
    assert "5 comments on pages (pages here have no comments)" in imported
    assert "70 menu items" in imported
    assert "37 media attachments" in imported


def test_authors_become_inactive_users_without_a_password(imported):
    users = get_user_model().objects.filter(username__in=["themedemos", "themereviewteam"])
    assert users.count() == 2
    for user in users:
        assert not user.is_active and not user.has_usable_password() and not user.is_staff
    assert Post.objects.get(title="Template: Comments").author.username == "themedemos"


def test_existing_user_with_the_authors_login_gets_the_posts(run_command, make_user):
    owner = make_user("themedemos")
    run_command("import_wordpress", WORDPRESS_FILE)
    assert Post.objects.get(title="Template: Comments").author == owner


def test_categories_and_tags_become_tags(imported):
    many = Post.objects.get(title="Edge Case: Many Tags")
    # The tag "edge case" and the category "Edge Case" are one tag here.
    slugs = set(many.tags.values_list("slug", flat=True))
    assert {"codex", "edge-case", "mothership", "classic"} <= slugs
    assert Tag.objects.filter(slug="edge-case").count() == 1
    assert not Tag.objects.filter(name="Uncategorized").exists()


def test_closed_comments_stay_closed(imported):
    assert not Post.objects.get(title="Template: Comments Disabled").comments_enabled
    assert Post.objects.get(title="Template: Comments").comments_enabled


def test_the_more_tag_makes_the_summary(imported):
    post = Post.objects.get(title="Template: More Tag")
    assert "before the" in post.summary_html and "after the more tag" not in post.summary_html
    assert "after the more tag" in post.body_html


def test_a_post_without_a_title_gets_one(imported):
    post = Post.objects.get(slug="edge-case-no-title")
    assert post.title == "(no title)"


def test_each_object_remembers_its_source_id(imported):
    record = SourceRecord.objects.get(kind="post", source_id="1148")
    assert record.post.title == "Template: Comments"
    assert record.site == "https://wpthemetestdata.wordpress.com"
    assert record.data["link"] == "https://wpthemetestdata.wordpress.com/2012/01/03/template-comments/"
    assert SourceRecord.objects.get(kind="comment", source_id="881").comment_id == 881
    assert SourceRecord.objects.filter(kind="author").count() == 3


def test_the_long_comment_is_kept_whole(imported):
    long_comment = Comment.objects.get(pk=881)
    assert len(long_comment.body) > 5000
    assert "Header one" in long_comment.body_html and long_comment.body_html.rstrip().endswith("</p>")


def test_importing_the_same_file_again_changes_nothing(run_command, snapshot):
    run_command("import_wordpress", WORDPRESS_FILE)
    before = snapshot()
    output = run_command("import_wordpress", WORDPRESS_FILE)
    assert snapshot() == before
    assert re.search(r"posts\s+0\s+0\s+58\s+0\s+0", output)
    assert re.search(r"comments\s+0\s+0\s+24\s+0\s+0", output)


def test_dry_run_reports_and_saves_nothing(run_command):
    output = run_command("import_wordpress", WORDPRESS_FILE, "--dry-run")
    assert "dry run, nothing was saved" in output
    assert re.search(r"posts\s+58\s+0\s+0", output)
    assert re.search(r"comments\s+24\s+0\s+0", output)
    assert not Post.objects.exists() and not Comment.objects.exists()
    assert not SourceRecord.objects.exists() and not ImportRun.objects.exists()
    assert not get_user_model().objects.exists()


def test_a_saved_import_is_logged_with_its_report(imported):
    run = ImportRun.objects.get()
    assert run.platform == "wordpress" and run.file_name == "wordpress-theme-unit-test.xml"
    assert "posts" in run.report


def test_a_later_export_updates_what_changed(run_command, write_file):
    run_command("import_wordpress", WORDPRESS_FILE)
    source = WORDPRESS_FILE.read_text(encoding="utf-8")
    later = source.replace("<title>Template: Sticky</title>", "<title>Template: Sticky, renamed</title>")
    later = later.replace(
        "<wp:comment_approved>0</wp:comment_approved>", "<wp:comment_approved>1</wp:comment_approved>"
    )
    assert later.count("renamed") == 1 and "<wp:comment_approved>0</wp:comment_approved>" not in later
    output = run_command("import_wordpress", write_file(later))
    assert re.search(r"posts\s+0\s+1\s+57", output)
    assert Post.objects.filter(title="Template: Sticky, renamed").count() == 1
    comment = Comment.objects.get(body__startswith="this is test comment")
    assert comment.status == Comment.Status.APPROVED
    assert comment.log.get().to_status == Comment.Status.APPROVED


def test_a_change_made_here_wins_over_a_later_export(run_command, write_file):
    run_command("import_wordpress", WORDPRESS_FILE)
    post = Post.objects.get(title="Template: Sticky")
    post.title = "Sticky, as edited here"
    post.save()
    later = WORDPRESS_FILE.read_text(encoding="utf-8").replace(
        "<title>Template: Sticky</title>", "<title>Template: Sticky, renamed there</title>"
    )
    assert "renamed there" in later
    output = run_command("import_wordpress", write_file(later))
    post.refresh_from_db()
    assert post.title == "Sticky, as edited here"
    assert "the version here was kept" in output


def test_a_changed_date_keeps_the_old_permalink_working(run_command, write_file, client):
    run_command("import_wordpress", WORDPRESS_FILE)
    post = Post.objects.get(title="Template: Sticky")
    old_permalink = post.get_absolute_url()
    later = WORDPRESS_FILE.read_text(encoding="utf-8").replace(
        "<wp:post_date_gmt>2012-01-07 14:07:21</wp:post_date_gmt>",
        "<wp:post_date_gmt>2012-01-08 14:07:21</wp:post_date_gmt>",
    )
    run_command("import_wordpress", write_file(later))
    post.refresh_from_db()
    assert post.get_absolute_url() != old_permalink
    response = client.get(old_permalink)
    assert response.status_code == 301 and response["Location"] == post.get_absolute_url()


@pytest.mark.parametrize("namespace", [
    "http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.1/", "http://wordpress.org/export/1.1/",
])
def test_every_namespace_spelling_imports(run_command, write_file, namespace):
    text = WORDPRESS_FILE.read_text(encoding="utf-8").replace("https://wordpress.org/export/1.2/", namespace)
    run_command("import_wordpress", write_file(text))
    assert Post.objects.count() == 58 and Comment.objects.count() == 24


def test_a_comment_keeps_its_wordpress_id_only_when_it_is_free(run_command, make_post):
    post = make_post()
    taken = Comment.objects.create(post=post, author_name="Already here", body="Hello", pk=881)
    output = run_command("import_wordpress", WORDPRESS_FILE)
    assert Comment.objects.get(pk=881) == taken
    assert "1 comment(s) could not keep their WordPress id" in output
    moved = SourceRecord.objects.get(kind="comment", source_id="881").comment
    assert moved.pk != 881 and moved.author_name == "John Γιάννης Doe Κάποιος"
    # New comments still get fresh ids after the kept ones.
    newest = Comment.objects.create(post=post, author_name="New", body="Hi")
    assert not Comment.objects.filter(pk__gt=newest.pk).exists()


def test_an_import_sends_no_email(imported, mailoutbox):
    assert mailoutbox == []


def test_a_wxr_without_gmt_dates_reads_local_dates_in_the_site_time_zone(run_command, write_file, settings):
    text = WORDPRESS_FILE.read_text(encoding="utf-8").replace(
        "<wp:post_date_gmt>2012-01-07 14:07:21</wp:post_date_gmt>",
        "<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>",
    )
    assert "0000-00-00 00:00:00</wp:post_date_gmt>" in text
    run_command("import_wordpress", write_file(text))
    post = Post.objects.get(title="Template: Sticky")
    local = timezone.localtime(post.published_at).strftime("%Y-%m-%d %H:%M:%S")
    assert local == "2012-01-07 07:07:21"  # the file's wp:post_date


def test_missing_file_is_a_clear_error(run_command, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.xml"):
        run_command("import_wordpress", tmp_path / "missing.xml")


def test_old_urls_are_registered_for_each_post(imported):
    post = Post.objects.get(title="Template: Comments")
    paths = set(post.legacy_urls.values_list("path", flat=True))
    # The old permalink is also the new one here (same date and slug), so only /?p= is kept.
    assert paths == {"/?p=1148"}
    assert LegacyURL.objects.get(path="/wp-6-1-font-size-scale/").post.title == "WP 6.1 Font size scale"


def test_cached_pages_show_the_import_at_once(run_command, client, write_file, django_capture_on_commit_callbacks):
    run_command("import_wordpress", WORDPRESS_FILE)
    post = Post.objects.get(title="Template: Comments")
    assert "Template: Sticky" in client.get("/tags/template/").content.decode()
    client.get(post.get_absolute_url())  # both pages are now cached for readers
    later = WORDPRESS_FILE.read_text(encoding="utf-8").replace(
        "<title>Template: Sticky</title>", "<title>Template: Sticky, renamed</title>"
    ).replace("<wp:comment_approved>0</wp:comment_approved>", "<wp:comment_approved>1</wp:comment_approved>")
    with django_capture_on_commit_callbacks(execute=True):
        run_command("import_wordpress", write_file(later))
    assert "Template: Sticky, renamed" in client.get("/tags/template/").content.decode()
    assert "this is test comment" in client.get(post.get_absolute_url()).content.decode()


def test_a_post_here_with_the_same_day_and_slug_keeps_its_permalink(run_command, make_post, client):
    mine = make_post(title="My own post", slug="template-comments",
                     published_at=datetime(2012, 1, 3, 8, 0, tzinfo=dt_timezone.utc))
    run_command("import_wordpress", WORDPRESS_FILE)
    imported = Post.objects.get(title="Template: Comments")
    assert imported.slug == "template-comments-2"
    assert client.get(mine.get_absolute_url()).context["post"] == mine
    assert client.get(imported.get_absolute_url()).context["post"] == imported


def test_a_login_with_dots_and_at_signs_finds_its_account(run_command, write_file, make_user):
    owner = make_user("theme.demos@example.org")
    text = WORDPRESS_FILE.read_text(encoding="utf-8").replace("themedemos", "theme.demos@example.org")
    run_command("import_wordpress", write_file(text))
    assert Post.objects.get(title="Template: Comments").author == owner


def one_post_export(title, comment_ids):
    """The theme unit test file with only the post `title` and those of its comments."""
    source = WORDPRESS_FILE.read_text(encoding="utf-8")
    start = source.rindex("<item>", 0, source.index(f"<title>{title}</title>"))
    post, *comments = source[start:source.index("</item>", start)].split("<wp:comment>")
    kept = [c for c in comments if any(f"<wp:comment_id>{n}</wp:comment_id>" in c for n in comment_ids)]
    item = post + "".join("<wp:comment>" + comment for comment in kept) + "</item>"
    return source[:source.index("<item>")] + item + "</channel></rss>"


def test_new_comments_get_fresh_ids_after_an_import_whose_ids_were_all_taken(run_command, write_file, make_post):
    post = make_post()
    for number in (881, 899, 900):
        Comment.objects.create(post=post, author_name="Here first", body="Hi", pk=number)
    run_command("import_wordpress", write_file(one_post_export("Template: Comments", [881, 899, 900])))
    assert SourceRecord.objects.filter(kind="comment").count() == 3
    newest = Comment.objects.create(post=post, author_name="New", body="Hi")
    assert not Comment.objects.filter(pk__gt=newest.pk).exists()


@pytest.mark.parametrize("status", ["private", "pending"])
def test_private_and_pending_posts_become_drafts(run_command, write_file, status):
    text = one_post_export("Template: Sticky", [])
    assert text.count("<wp:status><![CDATA[publish]]></wp:status>") + text.count("<wp:status>publish</wp:status>") == 1
    text = text.replace("<wp:status><![CDATA[publish]]></wp:status>", f"<wp:status>{status}</wp:status>")
    text = text.replace("<wp:status>publish</wp:status>", f"<wp:status>{status}</wp:status>")
    output = run_command("import_wordpress", write_file(text))
    assert Post.objects.get().status == Post.Status.DRAFT
    assert ("was private in WordPress" in output) == (status == "private")


def test_an_old_wordpress_comment_anchor_finds_the_comment_on_the_page(imported, client):
    post = Post.objects.get(title="Template: Comments")
    # https://wpthemetestdata.wordpress.com/2012/01/03/template-comments/#comment-881
    response = client.get(post.get_absolute_url())
    assert 'id="comment-881"' in response.content.decode()
    assert Comment.objects.get(pk=881).get_absolute_url() == f"{post.get_absolute_url()}#comment-881"


def test_very_long_ids_and_addresses_still_import(run_command, write_file):
    long_site = "https://example.org/" + "blog/" * 60
    text = one_post_export("Template: Sticky", []).replace(
        "<wp:base_blog_url>https://wpthemetestdata.wordpress.com</wp:base_blog_url>",
        f"<wp:base_blog_url>{long_site}</wp:base_blog_url>",
    ).replace("<wp:post_id>1241</wp:post_id>", f"<wp:post_id>{'7' * 300}</wp:post_id>")
    assert long_site in text and "7" * 300 in text
    run_command("import_wordpress", write_file(text))
    run_command("import_wordpress", write_file(text, "again.xml"))
    record = SourceRecord.objects.get(kind="post")
    assert len(record.site) <= 200 and len(record.source_id) <= 200
    assert Post.objects.count() == 1
