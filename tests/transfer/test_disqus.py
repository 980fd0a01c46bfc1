"""Importing a Disqus export: threads matched to posts by address, replies, states, authors."""

from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError

from comments.models import Comment
from tests.transfer.conftest import DATA, WORDPRESS_FILE, nothing_imported
from transfer.models import LegacyURL

pytestmark = pytest.mark.django_db

DISQUS_FILE = DATA / "disqus-export.xml"


@pytest.fixture
def posts(make_post):
    maps = make_post(title="On maps", slug="on-maps", published_at=datetime(2020, 5, 1, 10, tzinfo=dt_timezone.utc))
    rivers = make_post(title="On rivers", slug="on-rivers", published_at=datetime(2013, 4, 10, 12, tzinfo=dt_timezone.utc))
    LegacyURL.objects.create(path="/2013/04/on-rivers.html", post=rivers)
    return maps, rivers


def test_disqus_threads_come_with_replies_authors_dates_and_states(run_command, posts):
    maps, rivers = posts
    report = run_command("import_disqus", DISQUS_FILE)
    fay, guest, hal, spammer = maps.comments.order_by("created_at")
    assert (fay.author_name, fay.author_email, fay.body) == ("Fay", "fay@example.org", "Lovely **maps**.")
    assert fay.created_at == datetime(2020, 5, 2, 9, tzinfo=dt_timezone.utc)
    assert guest.parent == fay and hal.parent == guest
    assert [c.status for c in (fay, guest, hal, spammer)] == [
        Comment.Status.APPROVED, Comment.Status.APPROVED, Comment.Status.REJECTED, Comment.Status.SPAM]
    assert [c.author_name for c in rivers.comments.all()] == ["Ivy"]
    assert "1 Disqus threads whose address matches no post here" in report
    assert "1 comments on Disqus threads that match no post here" in report
    assert "“About” (https://history.example.org/about/) matches no post here" in report
    again = run_command("import_disqus", DISQUS_FILE)
    assert "comments                          0          0          5" in again
    assert Comment.objects.count() == 5


def test_the_upload_page_tells_a_disqus_export(admin_import, posts):
    response = admin_import("disqus.xml", DISQUS_FILE.read_bytes())
    assert response.status_code == 200 and "Disqus export" in response.content.decode()
    assert Comment.objects.count() == 5


def test_import_disqus_refuses_other_exports(run_command):
    with pytest.raises(CommandError, match="is not a Disqus export"):
        run_command("import_disqus", WORDPRESS_FILE)
    assert nothing_imported()
