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
