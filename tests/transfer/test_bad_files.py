"""Files that are not exports, broken or hostile: a clear error, and nothing changes."""

import io
import zipfile

import pytest
from django.core.management.base import CommandError
from django.db import IntegrityError

from tests.transfer.conftest import BLOGGER_CLASSIC, BLOGGER_TAKEOUT, WORDPRESS_FILE, nothing_imported
from transfer.importing import _Importer

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>
<item><title>&lol9;</title></item></channel></rss>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>
<item><title>&secret;</title></item></channel></rss>
"""
ATOM_NOT_BLOGGER = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Some feed</title>
<entry><id>urn:1</id><title>Hello</title><content type="html">Hi</content></entry></feed>
"""
PLAIN_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>Hello</title></item></channel></rss>
"""


def zipped(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


CASES = [
    ("import_wordpress", WORDPRESS_FILE.read_bytes()[:300_000], "not well-formed XML"),
    ("import_wordpress", WORDPRESS_FILE.read_bytes()[:-200], "ends too early"),
    ("import_wordpress", b"", "is empty"),
    ("import_wordpress", b'{"posts": []}', "not well-formed XML"),
    ("import_wordpress", b"<html><body><p>Hello</p></body></html>", "not a WordPress export (WXR)"),
    ("import_wordpress", PLAIN_RSS, "not a WordPress export (WXR)"),
    ("import_wordpress", BLOGGER_CLASSIC.read_bytes(), "Use import_blogger"),
    ("import_wordpress", zipped({"a.xml": "<rss/>"}), "zip archive"),
    ("import_wordpress", WORDPRESS_FILE.read_text().replace("<wp:wxr_version>1.2", "<wp:wxr_version>3.0"),
     "version 3.0"),
    ("import_wordpress", BILLION_LAUGHS, "entity bombs"),
    ("import_wordpress", EXTERNAL_ENTITY, "DTD"),
    ("import_blogger", WORDPRESS_FILE.read_bytes(), "Use import_wordpress"),
    ("import_blogger", ATOM_NOT_BLOGGER, "not a Blogger export"),
    ("import_blogger", b"<html><body></body></html>", "should be an Atom <feed>"),
    ("import_blogger", b"PK\x03\x04 this is no zip at all", "not a readable zip archive"),
    ("import_blogger", zipped({"Takeout/archive_browser.html": "<p>Hi</p>"}), "without a Blogger feed"),
    ("import_blogger", zipped({"Takeout/Blogger/Blogs/X/feed.atom": BILLION_LAUGHS}), "feed.atom) declares a DTD"),
    ("import_blogger", BLOGGER_TAKEOUT.read_bytes()[:2000], "not well-formed XML"),
    ("import_blogger", BLOGGER_CLASSIC.read_text().replace("thr:in-reply-to", "thr:elsewhere"),
     "does not say which post it is on"),
]


@pytest.mark.parametrize(("command", "content", "message"), CASES)
def test_a_bad_file_is_refused_with_a_clear_message_and_changes_nothing(
    run_command, write_file, command, content, message
):
    with pytest.raises(CommandError) as refused:
        run_command(command, write_file(content, "upload.bin"))
    assert message in str(refused.value)
    assert str(refused.value).endswith("Nothing was imported.")
    assert "Traceback" not in str(refused.value)
    assert nothing_imported()


def test_a_file_over_the_size_limit_is_refused(run_command, settings):
    settings.TRANSFER_MAX_FILE_BYTES = 100_000
    with pytest.raises(CommandError, match="larger than 0 MB|larger than"):
        run_command("import_wordpress", WORDPRESS_FILE)
    assert nothing_imported()


def test_a_zip_that_unpacks_past_the_limit_is_refused(run_command, write_file, settings):
    settings.TRANSFER_MAX_FILE_BYTES = 1024 * 1024
    bomb = zipped({"Takeout/Blogger/Blogs/X/feed.atom": b" " * (5 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(CommandError, match="unpacks to more than"):
        run_command("import_blogger", write_file(bomb, "takeout.zip"))
    assert nothing_imported()


def test_an_import_the_database_refuses_halfway_saves_nothing(run_command, monkeypatch):
    calls = []
    original = _Importer.import_comment

    def failing(self, source):
        calls.append(source)
        if len(calls) == 10:
            raise IntegrityError("simulated failure")
        return original(self, source)

    monkeypatch.setattr(_Importer, "import_comment", failing)
    with pytest.raises(CommandError, match="nothing was saved: simulated failure"):
        run_command("import_wordpress", WORDPRESS_FILE)
    assert len(calls) == 10
    assert nothing_imported()
