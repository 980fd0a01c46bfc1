"""Fixtures for the import and export tests: the test exports, running a command, and
snapshots of everything an import may touch."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from blog.models import Post, Tag
from comments.models import Comment, ModerationLog
from transfer.models import ImportRun, LegacyURL, SourceRecord

DATA = Path(__file__).resolve().parents[1] / "data"
WORDPRESS_FILE = DATA / "wordpress-theme-unit-test.xml"
BLOGGER_CLASSIC = DATA / "blogger-classic-seed.xml"
BLOGGER_TAKEOUT = DATA / "blogger-takeout-seed.atom"
BLOGGER_ZIP = DATA / "blogger-takeout-seed.zip"


@pytest.fixture
def run_command():
    """Run a management command; returns what it wrote to standard output."""

    def run(name, *args, **options):
        out = StringIO()
        call_command(name, *[str(arg) for arg in args], stdout=out, stderr=StringIO(), **options)
        return out.getvalue()

    return run


@pytest.fixture
def write_file(tmp_path):
    """A file with the given bytes or text, for the commands to read."""

    def write(content, name="export.xml"):
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


def table_rows():
    User = get_user_model()
    return {
        "posts": list(Post.objects.order_by("pk").values()),
        "post tags": list(Post.tags.through.objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
        "moderation log": list(ModerationLog.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "source records": list(SourceRecord.objects.order_by("pk").values()),
        "old URLs": list(LegacyURL.objects.order_by("pk").values()),
    }


@pytest.fixture
def snapshot():
    """Every row an import may create or change (import runs aside, which are its log)."""
    return table_rows


def nothing_imported():
    return not (Post.objects.exists() or Comment.objects.exists() or SourceRecord.objects.exists()
                or LegacyURL.objects.exists() or ImportRun.objects.exists()
                or get_user_model().objects.exists() or Tag.objects.exists())


WXR_HEAD = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>A small blog</title>
<link>https://old.example.com</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_blog_url>https://old.example.com</wp:base_blog_url>
<wp:author><wp:author_login>ann</wp:author_login><wp:author_display_name>Ann</wp:author_display_name></wp:author>
"""


def wxr_item(post_id, title, *, body="<p>Hello.</p>", date="2020-05-01 10:00:00", status="publish",
             post_type="post", slug=None, extra="", comments="", creator="ann"):
    """One <item> of a WordPress export, as WordPress writes it."""
    return f"""<item>
<title>{title}</title>
<link>https://old.example.com/?p={post_id}</link>
<dc:creator><![CDATA[{creator}]]></dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date>{date}</wp:post_date>
<wp:post_date_gmt>{date}</wp:post_date_gmt>
<wp:post_name>{slug if slug is not None else f"post-{post_id}"}</wp:post_name>
<wp:status>{status}</wp:status>
<wp:post_type>{post_type}</wp:post_type>
{extra}{comments}</item>
"""


def wxr_comment(comment_id, body, *, date="2020-05-02 10:00:00", parent=0, approved="1", author="Bo"):
    return f"""<wp:comment>
<wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author><![CDATA[{author}]]></wp:comment_author>
<wp:comment_date>{date}</wp:comment_date>
<wp:comment_date_gmt>{date}</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{body}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved>
<wp:comment_parent>{parent}</wp:comment_parent>
</wp:comment>
"""


def wxr(*items, encoding="UTF-8", head_extra=""):
    """A WordPress export (text) holding `items`."""
    return WXR_HEAD.format(encoding=encoding) + head_extra + "".join(items) + "</channel>\n</rss>\n"


@pytest.fixture(autouse=True)
def import_uploads(settings, tmp_path):
    """Where the admin's import page stores uploads until the worker has imported them."""
    settings.TRANSFER_UPLOAD_ROOT = tmp_path / "imports"
    return settings.TRANSFER_UPLOAD_ROOT


@pytest.fixture
def admin_import(admin_client):
    """admin_import(name, content, **fields): upload a file on the admin's import page, run
    the task it queued as the worker would, and return the run's page (or the refusal)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transfer import runs

    def upload(name, content, **fields):
        response = admin_client.post("/admin/transfer/importrun/upload/",
                                     {"file": SimpleUploadedFile(name, content), **fields})
        if response.status_code != 302:
            return response
        run = ImportRun.objects.latest("pk")
        runs.perform(run.pk)
        return admin_client.get(response["Location"])

    return upload
