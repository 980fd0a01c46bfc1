"""Control characters in an export (as character references in its HTML, or C1 characters
written out) are not stored: each would make every XML feed that shows it invalid."""

import re

import pytest
from defusedxml import ElementTree
from django.urls import reverse

from tests.transfer.conftest import BLOGGER_CLASSIC, table_rows, wxr, wxr_comment, wxr_item

pytestmark = pytest.mark.django_db

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
HOSTILE = "&#8;&#x1B;&#xFFFE;&#xFFFF;&#xD800;&#x7F;\u0085\u009c"


def stored_texts():
    """Every text value of every row an import may write."""
    for rows in table_rows().values():
        for row in rows:
            for value in row.values():
                if isinstance(value, (dict, list)):
                    yield repr(value)
                elif isinstance(value, str):
                    yield value


def assert_feeds_parse(client):
    for name in ("blog:feed-rss", "blog:feed-atom", "comments:feed-rss", "comments:feed-atom"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        ElementTree.fromstring(response.content)


def test_a_wordpress_export_with_control_characters_stores_none_and_says_so(run_command, write_file, client):
    export = wxr(
        wxr_item(1, f"<![CDATA[Bell{HOSTILE} title]]>", body=f"<p>Body{HOSTILE} text</p>",
                 extra=f'<category domain="post_tag" nicename="t"><![CDATA[Tag{HOSTILE}]]></category>\n'
                       f"<excerpt:encoded><![CDATA[Short{HOSTILE}]]></excerpt:encoded>\n",
                 comments=wxr_comment(5, f"Comment{HOSTILE} body", author=f"Bo{HOSTILE}"), creator="cy"),
        head_extra=f"<wp:author><wp:author_login>cy</wp:author_login><wp:author_display_name><![CDATA[Cy{HOSTILE}]]>"
                   "</wp:author_display_name></wp:author>\n",
    )
    report = run_command("import_wordpress", write_file(export))
    texts = list(stored_texts())
    assert not [text for text in texts if FORBIDDEN.search(text)]
    # What HTML reads as a character reference to a surrogate is U+FFFD, the replacement character.
    readable = [re.sub(r"[\s\ufffd]+", " ", text).strip() for text in texts]
    assert "Bell title" in readable and "Tag" in readable and "Bo" in readable
    assert any("Body text" in text for text in readable) and any("Comment body" in text for text in readable)
    assert "control character(s) (invisible, and not allowed in feeds) were removed from 1 author, 1 post, " \
           "1 comment: “Bell" in report
    assert not FORBIDDEN.search(report)
    assert_feeds_parse(client)


def test_a_blogger_export_with_control_characters_stores_none_and_says_so(run_command, write_file, client):
    text = BLOGGER_CLASSIC.read_text()
    text = text.replace("Japanese prisoners of war and how they were treated.</title>",
                        "Japanese prisoners\u0085 of war and how they were treated.</title>", 1)
    text = text.replace("<content type='html'>Interesting facts.",
                        "<content type='html'>Interesting\u0086 facts&amp;#8;&amp;#xFFFE;.", 1)
    report = run_command("import_blogger", write_file(text))
    assert not [text for text in stored_texts() if FORBIDDEN.search(text)]
    assert "were removed from 1 post, 1 comment" in report
    assert_feeds_parse(client)


def test_tabs_and_newlines_are_kept(run_command, write_file):
    run_command("import_wordpress", write_file(wxr(wxr_item(1, "Plain", body="<pre>a\tb\r\nc</pre>"))))
    assert any("a\tb\nc" in text for text in stored_texts())
