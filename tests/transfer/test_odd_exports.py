"""Exports as other tools write them: each small file in tests/data has the shape of one
that used to lose something (docs/IMPORT.md, issue 18)."""

from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError

from blog.models import Post, Tag
from comments.models import Comment
from tests.transfer.conftest import BLOGGER_CLASSIC, DATA, wxr, wxr_comment, wxr_item
from transfer.models import LegacyURL

pytestmark = pytest.mark.django_db


def test_a_blog_in_a_subdirectory_with_plain_links_keeps_each_post_and_its_address(run_command, client):
    report = run_command("import_wordpress", DATA / "wordpress-subdirectory.xml")
    first, second = Post.objects.order_by("published_at")
    assert (first.title, second.title) == ("Weekly notes", "Weekly notes")
    assert first.published_at == datetime(2020, 2, 1, 10, tzinfo=dt_timezone.utc)
    assert "snow" in first.body and "rain" in second.body
    assert [c.author_name for c in first.comments.all()] == ["Ola"]
    assert [c.author_name for c in second.comments.all()] == ["Per"]
    assert set(LegacyURL.objects.values_list("path", flat=True)) == {"/blog/?p=11", "/blog/?p=12"}
    for old, post in [("/blog/?p=11", first), ("/blog/?p=12", second), ("/blog/index.php?p=12", second)]:
        response = client.get(old)
        assert response.status_code == 301 and response["Location"] == post.get_absolute_url(), old
    assert client.get("/blog/").status_code == 404
    assert "posts                             2          0          0          0" in report
    again = run_command("import_wordpress", DATA / "wordpress-subdirectory.xml")
    assert "posts                             0          0          2" in again


def test_blogger_comments_numbered_within_their_post_keep_their_thread(run_command):
    report = run_command("import_blogger", DATA / "blogger-converter-comments.xml")
    post = Post.objects.get()
    first, by_id, by_address = post.comments.order_by("created_at")
    assert [c.body for c in (first, by_id, by_address)] == [
        "First comment.", "A reply, by id.", "A reply, by feed address."]
    assert first.parent is None and by_id.parent == first and by_address.parent == by_id
    assert "1 comments whose id could not be read" in report
    assert "1 blog settings and template entries" in report
    assert "urn:uuid:1b4e28ba" in report


def test_a_post_id_given_twice_keeps_the_first_post_and_says_so(run_command):
    report = run_command("import_wordpress", DATA / "wordpress-repeated-ids.xml")
    post = Post.objects.get()
    assert post.title == "The first post seven"
    assert [c.body for c in post.comments.all()] == ["On the first."]
    assert "1 posts whose id is an earlier item's (the first was kept)" in report
    assert "1 comments on skipped items" in report
    assert "1 comments whose id is an earlier comment's (the first was kept)" in report
    assert "“The second post seven” has the id 7 of an earlier item" in report
    again = run_command("import_wordpress", DATA / "wordpress-repeated-ids.xml")
    assert Post.objects.get().title == "The first post seven"
    assert "posts                             0          0          1" in again
    assert "comments                          0          0          1" in again


def test_comments_without_a_date_are_dated_as_their_post_on_every_import(run_command):
    report = run_command("import_wordpress", DATA / "wordpress-undated.xml")
    post = Post.objects.get(title="Dated post")
    assert [c.created_at for c in post.comments.all()] == [post.published_at] * 2
    assert "Comment 80 has no date: dated as its post, 2020-05-01 10:00 UTC." in report
    again = run_command("import_wordpress", DATA / "wordpress-undated.xml")
    assert "comments                          0          0          2" in again


def test_a_published_post_without_a_date_is_a_draft_named_in_the_summary_line(run_command):
    report = run_command("import_wordpress", DATA / "wordpress-undated.xml")
    assert Post.objects.get(title="Undated published post").status == Post.Status.DRAFT
    first_line = report.splitlines()[0]
    assert first_line == (
        "WordPress import of wordpress-undated.xml. 1 published post(s) without a date were kept as "
        "drafts (WordPress would publish them, dated at the import): publish them with a date.")


def test_an_item_whose_wp_prefix_is_foreign_is_skipped_with_a_warning(run_command):
    report = run_command("import_wordpress", DATA / "wordpress-foreign-prefix.xml")
    assert list(Post.objects.values_list("title", flat=True)) == ["Real post"]
    assert "1 items without WordPress fields" in report
    assert ("The item “Foreign item” has no WordPress fields (its wp: prefix names "
            "http://example.com/not-wordpress/): skipped, as WordPress does.") in report


def test_an_export_of_only_authors_and_terms_brings_the_tags_and_reports_the_rest(run_command):
    report = run_command("import_wordpress", DATA / "wordpress-terms-only.xml")
    assert set(Tag.objects.values_list("name", flat=True)) == {"Travel", "Norway", "Bergen", "Fjords", "Rain"}
    assert "tags                              5" in report
    assert "Categories with a parent (tags here are flat" in report
    assert "  Travel › Norway\n" in report and "  Travel › Norway › Bergen\n" in report
    assert "2 authors without a post in the export (not created)" in report
    assert "Authors without a post in the export, not created: ann, nobody." in report
    assert "1 other WordPress terms (nav_menu)" in report
    assert not Post.objects.exists() and not get_user_model().objects.exists()


NOT_WELL_FORMED = DATA / "wordpress-not-well-formed.xml"


def test_a_file_that_is_not_well_formed_is_refused_by_default_with_where(run_command):
    with pytest.raises(CommandError) as refused:
        run_command("import_wordpress", NOT_WELL_FORMED)
    # Line 16 is the post body with a raw "]]>" inside its CDATA section.
    assert "is not well-formed XML (mismatched tag, line 16, column 53)" in str(refused.value)
    assert "--recover" in str(refused.value)
    assert not Post.objects.exists()


def test_recover_reads_what_it_can_and_lists_what_it_could_not(run_command):
    report = run_command("import_wordpress", NOT_WELL_FORMED, "--recover")
    titles = set(Post.objects.values_list("title", flat=True))
    assert titles == {"Code sample", "Undeclared prefix", "Stray tag", "Well-formed post"}
    assert "places in the file that are not well-formed XML (read past with --recover)" in report
    assert "Not read: line 12: “]]>” inside a CDATA section (read as meant)" in report
    assert "line 24: the prefix(es) media used without a declaration (read as meant)" in report
    assert "line 48, column 6: Opening and ending tag mismatch: item" in report
    code = Post.objects.get(title="Code sample")
    assert "if (a[b[0]]&gt; 1)" in code.body_html


@pytest.mark.parametrize("hostile", [
    '<!DOCTYPE rss [<!ENTITY lol "lol">]>',
    '<!DOCTYPE rss SYSTEM "file:///etc/passwd">',
])
def test_recover_still_refuses_dtds_and_entities(run_command, write_file, hostile):
    content = NOT_WELL_FORMED.read_text().replace("?>\n", f"?>\n{hostile}\n", 1)
    with pytest.raises(CommandError, match="declares a DTD or XML entities"):
        run_command("import_wordpress", write_file(content), "--recover")
    assert not Post.objects.exists()


def test_the_upload_page_offers_recover(admin_import):
    content = NOT_WELL_FORMED.read_bytes()
    response = admin_import("blog.xml", content, recover="on")
    assert response.status_code == 200
    assert "inside a CDATA section (read as meant)" in response.content.decode()
    assert Post.objects.filter(title="Well-formed post").exists()


def test_a_blogger_comment_without_a_date_is_dated_as_its_post(run_command, write_file):
    content = BLOGGER_CLASSIC.read_text().replace(
        "<published>2013-04-11T10:00:00.000+01:00</published>", "<published>not a date</published>")
    report = run_command("import_blogger", write_file(content))
    post = Post.objects.get()
    assert post.comments.filter(created_at=post.published_at).count() == 1
    assert "Blogger comment 7752913446380210987 has no valid date: dated 2013-04-10 12:00 UTC" in report
    again = run_command("import_blogger", write_file(content))
    assert "comments                          0          0          3" in again


@pytest.mark.parametrize("missing_id", ["", "0", "not a number"])
def test_a_comment_without_an_id_never_takes_the_old_id_of_a_comment_after_it(
    run_command, write_file, published_post, missing_id
):
    # Found by `make fuzz`: the comment without an id took the next automatic id, which was
    # the old id of the comment after it, and the whole import failed on the duplicate.
    earlier = Comment.objects.create(post=published_post, author_name="Here", body="Already here.")
    next_automatic = earlier.pk + 1
    export = wxr(wxr_item(7, "Two comments", comments=(
        wxr_comment(missing_id, "No id of my own.", author="First")
        + wxr_comment(next_automatic, "I keep my old id.", author="Second", date="2020-05-03 10:00:00")
    )))

    run_command("import_wordpress", write_file(export))

    post = Post.objects.get(title="Two comments")
    kept = post.comments.get(author_name="Second")
    assert kept.pk == next_automatic
    assert post.comments.get(author_name="First").pk > next_automatic
    run_command("import_wordpress", write_file(export))
    assert post.comments.count() == 2
