"""Both importers, through the management commands and the admin's upload page.

WordPress (WXR) and Blogger (Takeout feed.atom, zipped or not) exports are generated
with hostile values in every field they read (titles, HTML, dates, ids, states,
addresses), in every encoding an XML declaration may name (real ones, ones Python lacks,
ones that are not ASCII-compatible, ones that do not match the bytes), with either
namespace spelling, and cut short. Every file is imported or refused with a message;
nothing is stored by a refusal or a dry run.
"""

import io
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import strategies as st

from blog.models import Post
from transfer import runs
from transfer.models import ImportRun
from tests.fuzz.harness import Outcome
from tests.fuzz.strategies import hostile_numbers, hostile_text, mostly

pytestmark = pytest.mark.django_db

# (name in the XML declaration, codec the bytes are written in)
ENCODINGS = [
    ("UTF-8", "utf-8"), ("utf-8", "utf-8"), (None, "utf-8"), ("ISO-8859-1", "latin-1"),
    ("windows-1252", "cp1252"), ("Shift_JIS", "shift_jis"), ("EUC-JP", "euc_jp"),
    ("UTF-16", "utf-16"), ("UTF-16", "utf-16-le"), ("UTF-16BE", "utf-16-be"), ("UTF-7", "utf-7"),
    ("x-no-such-encoding", "utf-8"), ("ebcdic-cp-us", "cp037"), ("UTF-8", "latin-1"),
    ("ISO-8859-1", "utf-8"), ("UTF-32", "utf-32"), ("ascii", "ascii"),
]
DATES = [
    "2013-04-13T09:00:00.000Z", "2013-04-13T10:00:00.000+01:00", "0001-01-01T00:00:00.000+14:00",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999-12:00", "9999-12-31T23:59:59Z",
    "2013-02-30T09:00:00Z", "2013-04-13", "", "yesterday", "2013-04-13T25:61:00Z",
    "+10000-01-01T00:00:00Z", "2013-04-13T09:00:00.000+99:99",
]
WORDPRESS_DATES = [
    "2013-04-13 09:00:00", "0000-00-00 00:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59",
    "2013-02-30 09:00:00", "", "13/04/2013", "2013-04-13T09:00:00Z", "2013-04-13 9:0:0",
]
HTML = [
    "<p>Hello <b>world</b></p>", "Line one<br />Line two", "&#8;", "&#0;", "&#x1;", "&#xFFFE;",
    "&#x110000;", "&#99999999999;", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>", "[shortcode attr=1]", "<!-- wp:paragraph -->",
    "<table><tr><td>", "</div></div></div>", "<pre><code>", "\u0085", "\u009f", "&nbsp;",
]
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Text XML can hold (a character it cannot makes the whole file refused at its first
# field; export_files() puts one in now and then).
xml_text = mostly(
    st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), max_size=30),
    hostile_text.map(lambda text: _XML_ILLEGAL.sub("", text)),
)
html_text = st.lists(st.sampled_from(HTML) | xml_text, max_size=8).map("".join)
dates = mostly(st.sampled_from(DATES[:2]), st.sampled_from(DATES) | hostile_text, one_in=2)
wordpress_dates = mostly(st.sampled_from(WORDPRESS_DATES[:1]), st.sampled_from(WORDPRESS_DATES) | hostile_text, one_in=2)
ids = mostly(st.integers(1, 50).map(str), hostile_numbers | hostile_text)


def cdata(value):
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def wordpress_export(draw):
    namespace = draw(st.sampled_from(["http://wordpress.org/export/1.2", "https://wordpress.org/export/1.2",
                                      "http://wordpress.org/export/1.1", "http://wordpress.org/export/1.0",
                                      "http://wordpress.org/export/2.0", "urn:elsewhere"]))
    version = draw(mostly(st.just(namespace.rsplit("/", 1)[-1]), st.sampled_from(["3.0", "", "1.x"]) | hostile_text))
    login = draw(mostly(st.just("admin"), xml_text))
    items = []
    for _ in range(draw(st.integers(0, 3))):
        comments = []
        for _ in range(draw(st.integers(0, 3))):
            comments.append(
                "<wp:comment>"
                f"<wp:comment_id>{escape(draw(ids))}</wp:comment_id>"
                f"<wp:comment_author>{cdata(draw(xml_text))}</wp:comment_author>"
                f"<wp:comment_author_email>{escape(draw(mostly(st.just('a@example.org'), xml_text)))}</wp:comment_author_email>"
                f"<wp:comment_author_url>{escape(draw(mostly(st.just('https://a.example/'), xml_text)))}</wp:comment_author_url>"
                f"<wp:comment_author_IP>{escape(draw(mostly(st.just('192.0.2.1'), xml_text)))}</wp:comment_author_IP>"
                f"<wp:comment_date>{escape(draw(wordpress_dates))}</wp:comment_date>"
                f"<wp:comment_date_gmt>{escape(draw(wordpress_dates))}</wp:comment_date_gmt>"
                f"<wp:comment_content>{cdata(draw(html_text))}</wp:comment_content>"
                f"<wp:comment_approved>{escape(draw(st.sampled_from(['1', '0', 'spam', 'trash', '']) | xml_text))}</wp:comment_approved>"
                f"<wp:comment_type>{escape(draw(st.sampled_from(['', 'comment', 'pingback']) | xml_text))}</wp:comment_type>"
                f"<wp:comment_parent>{escape(draw(st.just('0') | ids))}</wp:comment_parent>"
                "</wp:comment>"
            )
        items.append(
            "<item>"
            f"<title>{escape(draw(xml_text))}</title>"
            f"<link>{escape(draw(mostly(st.just('https://old.example/2013/04/walls/'), xml_text)))}</link>"
            f"<dc:creator>{cdata(draw(mostly(st.just(login), xml_text)))}</dc:creator>"
            f"<content:encoded>{cdata(draw(html_text))}</content:encoded>"
            f"<excerpt:encoded>{cdata(draw(st.just('') | html_text))}</excerpt:encoded>"
            f"<wp:post_id>{escape(draw(ids))}</wp:post_id>"
            f"<wp:post_date>{escape(draw(wordpress_dates))}</wp:post_date>"
            f"<wp:post_date_gmt>{escape(draw(wordpress_dates))}</wp:post_date_gmt>"
            f"<wp:post_name>{escape(draw(mostly(st.just('walls'), xml_text)))}</wp:post_name>"
            f"<wp:status>{escape(draw(st.sampled_from(['publish', 'draft', 'future', 'private', 'pending']) | xml_text))}</wp:status>"
            f"<wp:post_type>{escape(draw(mostly(st.just('post'), st.sampled_from(['page', 'attachment', 'nav_menu_item']) | xml_text)))}</wp:post_type>"
            f"<category domain=\"post_tag\" nicename={quoteattr(draw(xml_text))}>{cdata(draw(xml_text))}</category>"
            + "".join(comments) + "</item>"
        )
    document = (
        '<rss version="2.0" xmlns:excerpt="{ns}/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}/"><channel>'
        "<title>{title}</title><link>https://old.example</link><wp:wxr_version>{version}</wp:wxr_version>"
        "<wp:author><wp:author_login>{login}</wp:author_login><wp:author_email>{email}</wp:author_email>"
        "<wp:author_display_name>{display}</wp:author_display_name></wp:author>{items}</channel></rss>"
    ).format(ns=namespace, title=escape(draw(xml_text)), version=escape(version), login=cdata(login),
             email=escape(draw(mostly(st.just("admin@example.org"), xml_text))),
             display=cdata(draw(xml_text)), items="".join(items))
    return "wordpress", document


@st.composite
def blogger_export(draw):
    blog = "tag:blogger.com,1999:blog-8127"
    entries = []
    posts = [draw(ids) for _ in range(draw(st.integers(0, 2)))]
    for post_id in posts:
        entries.append(
            f"<entry><id>{blog}.post-{escape(post_id)}</id><blogger:type>POST</blogger:type>"
            f"<blogger:status>{escape(draw(st.sampled_from(['LIVE', 'DRAFT', 'SOFT_TRASHED']) | xml_text))}</blogger:status>"
            f"<author><name>{escape(draw(xml_text))}</name></author><title>{escape(draw(xml_text))}</title>"
            f"<content type='html'>{escape(draw(html_text))}</content>"
            f"<blogger:created>{escape(draw(dates))}</blogger:created><published>{escape(draw(dates))}</published>"
            f"<updated>{escape(draw(dates))}</updated>"
            f"<blogger:filename>{escape(draw(mostly(st.just('/2013/04/walls.html'), xml_text)))}</blogger:filename>"
            f"<category scheme='{blog}' term={quoteattr(draw(xml_text))}/></entry>"
        )
    for _ in range(draw(st.integers(0, 3))):
        parent = draw(st.sampled_from(posts) if posts else ids)
        entries.append(
            f"<entry><id>{blog}.post-{escape(draw(ids))}</id><blogger:type>COMMENT</blogger:type>"
            f"<blogger:status>{escape(draw(st.sampled_from(['LIVE', 'PENDING', 'SPAM']) | xml_text))}</blogger:status>"
            f"<author><name>{escape(draw(xml_text))}</name></author><title></title>"
            f"<content type='html'>{escape(draw(html_text))}</content><published>{escape(draw(dates))}</published>"
            f"<blogger:parent>{blog}.post-{escape(parent)}</blogger:parent>"
            f"<blogger:inReplyTo>{blog}.post-{escape(draw(ids))}</blogger:inReplyTo></entry>"
        )
    namespace = draw(mostly(st.just("http://schemas.google.com/blogger/2018"),
                            st.sampled_from(["https://schemas.google.com/blogger/2018", "urn:x"])))
    document = (
        f"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='{namespace}'><id>{blog}</id>"
        f"<title>{escape(draw(xml_text))}</title>{''.join(entries)}</feed>"
    )
    return "blogger", document


@st.composite
def export_files(draw):
    platform, document = draw(wordpress_export() | blogger_export())
    declared, codec = draw(mostly(st.just(("UTF-8", "utf-8")), st.sampled_from(ENCODINGS), one_in=2))
    declaration = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else '<?xml version="1.0"?>\n'
    if draw(st.integers(0, 9)) == 1:
        at = draw(st.integers(0, len(document)))
        document = document[:at] + draw(st.sampled_from(["\x08", "\x00", "\ufffe", "&#8;", "<", "&"])) + document[at:]
    data = (declaration + document).encode(codec, errors="xmlcharrefreplace")
    if draw(st.integers(0, 9)) == 1:
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    name = "export.xml"
    if platform == "blogger" and draw(st.booleans()):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("Takeout/Blogger/Blogs/Notes/feed.atom", data)
        data, name = buffer.getvalue(), "takeout.zip"
    return ExportFile(platform, declared, codec, name, data)


class ExportFile:
    def __init__(self, platform, declared, codec, name, data):
        self.platform, self.declared, self.codec, self.name, self.data = platform, declared, codec, name, data

    def __repr__(self):
        return (f"ExportFile({self.platform}, declared={self.declared!r}, written in {self.codec}, "
                f"{self.name}, data={self.data!r})")


def import_by_command(tmp_path, export, dry_run):
    path = tmp_path / export.name
    path.write_bytes(export.data)
    command = "import_wordpress" if export.platform == "wordpress" else "import_blogger"
    try:
        call_command(command, str(path), dry_run=dry_run, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as error:
        assert str(error).endswith("Nothing was imported."), str(error)
        return Outcome("refused by the command", refused=True)
    return Outcome("imported by the command" + (" (dry run)" if dry_run else ""), refused=dry_run)


def import_by_upload(site, export, dry_run):
    upload = SimpleUploadedFile(export.name, export.data, content_type="application/octet-stream")
    data = {"file": upload, "platform": "", **({"dry_run": "on"} if dry_run else {})}
    response = site.client("superuser").post(reverse("admin:transfer_import"), data)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        return Outcome("400 refused by the upload page", refused=True)
    # Accepted: the import waits for the worker; run it here, as the worker would.
    run = ImportRun.objects.latest("pk")
    assert response.url == reverse("admin:transfer_importrun_change", args=[run.pk]), response.url
    result = runs.perform(run.pk)
    run.refresh_from_db()
    assert result == "done", run.error
    assert site.client("superuser").get(response.url).status_code == 200
    return Outcome("302 queued, then imported by the worker" + (" (dry run)" if dry_run else ""), refused=dry_run)


def run_import(site, tmp_path, request):
    export, by_command, dry_run = request
    before = set(Post.objects.values_list("pk", flat=True))
    outcome = import_by_command(tmp_path, export, dry_run) if by_command else import_by_upload(site, export, dry_run)
    # Whatever was imported, readers can open it.
    reader = site.client()
    for post in Post.objects.exclude(pk__in=before)[:3]:
        status = reader.get(post.get_absolute_url()).status_code
        assert status in (200, 404), f"{post.get_absolute_url()}: {status}"
    assert reader.get("/").status_code == 200
    return outcome


def test_both_importers_import_or_refuse_any_file(fuzz, site, tmp_path):
    requests = st.tuples(export_files(), st.booleans(), mostly(st.just(False), st.just(True), one_in=3))
    fuzz("import: WordPress and Blogger", requests, lambda r: run_import(site, tmp_path, r), ci_examples=25)

