"""Exports in other encodings than UTF-8, and dates no calendar here can hold.

Real encodings are decoded; an encoding that is unknown, or that an XML declaration written
in ASCII cannot be in, is refused with a message; nothing ever raises past the importer.
"""

from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError
from django.urls import reverse

from blog.models import Post
from comments.models import Comment
from tests.transfer.conftest import BLOGGER_CLASSIC, nothing_imported, wxr, wxr_comment, wxr_item

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/transfer/importrun/upload/"
TITLE = "Café “Tōkyō” – 日本の夏"


def wordpress_file(encoding, title=TITLE):
    """An export whose post is called `title` and whose one comment says the same."""
    return wxr(wxr_item(1, title, comments=wxr_comment(5, title)), encoding=encoding)


@pytest.mark.parametrize(("encoding", "codec", "title"), [
    ("Shift_JIS", "shift_jis", "東京の夏 ｶﾀｶﾅ"),
    ("EUC-JP", "euc_jp", "東京の夏"),
    ("windows-1252", "cp1252", "Café “quoted” – €5"),
    ("ISO-8859-15", "iso8859_15", "Café à €5"),
    ("UTF-16", "utf-16", TITLE),        # with its byte order mark
    ("UTF-16", "utf-16-le", TITLE),     # without one
    ("UTF-16", "utf-16-be", TITLE),
    ("UTF-32", "utf-32", TITLE),
])
def test_an_export_in_a_real_encoding_is_decoded(run_command, write_file, encoding, codec, title):
    run_command("import_wordpress", write_file(wordpress_file(encoding, title).encode(codec)))
    post = Post.objects.get()
    assert post.title == title
    assert Comment.objects.get().body == title


def test_iso_8859_1_is_read_as_windows_1252_as_browsers_do(run_command, write_file):
    # Windows wrote its quotes and dashes (0x93, 0x94, 0x96) into files it labelled Latin-1.
    content = wordpress_file("ISO-8859-1", "@").encode("latin-1").replace(b"@", b"Caf\xe9 \x93quoted\x94 \x96 ok")
    run_command("import_wordpress", write_file(content))
    assert Post.objects.get().title == "Café “quoted” – ok"


@pytest.mark.parametrize(("content", "message"), [
    (wordpress_file("UTF-7", "a+b").encode("utf-7"), "says it is written in “UTF-7”, but"),
    (wordpress_file("UTF-16", "plain").encode("ascii", "xmlcharrefreplace"), "says it is written in “UTF-16”, but"),
    (wordpress_file("cp037", "x").encode("ascii", "xmlcharrefreplace"), "says it is written in “cp037”, but"),
    (wordpress_file("klingon", "x").encode("utf-8"), "“klingon”, an encoding that is not known here"),
    (wordpress_file("Shift_JIS", "@").encode("shift_jis").replace(b"@", b"\x81\x20"),
     "says it is written in Shift_JIS, but it is not"),
    (wordpress_file("UTF-16", "x").encode("utf-16-le")[:-1], "says it is written in UTF-16, but it is not"),
    (b"\xef\xbb\xbf" + wordpress_file("Shift_JIS", "x").encode("ascii", "xmlcharrefreplace"), "encoding"),
])
def test_an_impossible_encoding_is_refused_with_a_message(run_command, write_file, content, message):
    with pytest.raises(CommandError) as refused:
        run_command("import_wordpress", write_file(content))
    assert message in str(refused.value)
    assert nothing_imported()


@pytest.mark.parametrize("encoding", ["UTF-7", "klingon", "Shift_JIS", "UTF-16"])
def test_the_upload_page_answers_every_encoding_without_a_server_error(admin_import, encoding):
    codec = {"klingon": "utf-8"}.get(encoding, encoding)
    for content in (wordpress_file(encoding, "x+y").encode(codec), wordpress_file(encoding).encode("utf-8")):
        response = admin_import("blog.xml", content)
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert "Nothing was imported." in response.content.decode()


def test_a_utf_16_upload_is_told_to_be_a_wordpress_export(admin_import):
    content = wordpress_file("UTF-16").encode("utf-16-le")
    response = admin_import("blog.xml", content)
    assert response.status_code == 200 and "WordPress export" in response.content.decode()
    assert Post.objects.get().title == TITLE


def blogger_with_dates(post_date, comment_date):
    text = BLOGGER_CLASSIC.read_text()
    text = text.replace("<published>2013-04-10T13:00:00.000+01:00</published>",
                        f"<published>{post_date}</published>")
    return text.replace("<published>2013-04-11T10:00:00.000+01:00</published>",
                        f"<published>{comment_date}</published>")


def test_blogger_dates_out_of_range_in_utc_are_kept_with_a_warning(run_command, write_file):
    report = run_command("import_blogger", write_file(blogger_with_dates(
        "0001-01-01T00:30:00.000+01:00", "9999-12-31T23:00:00.000-05:00")))
    post = Post.objects.get()
    assert post.published_at == datetime(1000, 1, 2, tzinfo=dt_timezone.utc)
    assert Comment.objects.count() == 3
    assert Comment.objects.order_by("-created_at").first().created_at == datetime(9999, 12, 29, tzinfo=dt_timezone.utc)
    assert "is dated 0001-01-01T00:30:00.000+01:00, out of the range of dates this site can keep" in report
    assert "is dated 9999-12-31T23:00:00.000-05:00, out of the range" in report
    assert post.source_records.get().data["published"] == "0001-01-01T00:30:00.000+01:00"


def test_a_post_kept_at_the_edge_of_the_calendar_can_be_read(run_command, write_file, client):
    run_command("import_blogger", write_file(blogger_with_dates(
        "0001-01-01T00:30:00.000+01:00", "2013-04-11T10:00:00.000+01:00")))
    post = Post.objects.get()
    pages = [post.get_absolute_url(), "/", "/1000/", reverse("blog:feed-rss"), reverse("blog:feed-atom"),
             "/sitemap.xml"]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_wordpress_dates_out_of_range_are_kept_with_a_warning(run_command, write_file):
    report = run_command("import_wordpress", write_file(wxr(wxr_item(
        1, "Far future", date="9999-12-31 23:59:59",
        comments=wxr_comment(5, "Hi", date="9999-12-31 23:59:59"),
    ))))
    post = Post.objects.get()
    assert post.published_at == datetime(9999, 12, 29, tzinfo=dt_timezone.utc)
    assert Comment.objects.get().created_at == datetime(9999, 12, 29, tzinfo=dt_timezone.utc)
    assert "“Far future” is dated 9999-12-31 23:59:59" in report
    assert "Comment 5 is dated 9999-12-31 23:59:59" in report
