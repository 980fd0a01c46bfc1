"""Blogger and WordPress HTML as our posts and comments store it: nothing raw shows."""

import re
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from blog import markdown
from transfer import html


def test_autop_makes_paragraphs_and_line_breaks_as_wordpress_does():
    assert html.autop("One\n\nTwo\nlines") == "<p>One</p>\n<p>Two<br />\nlines</p>\n"
    assert html.autop("<ul>\n<li>a</li>\n</ul>\nAfter") == "<ul>\n<li>a</li>\n</ul>\n<p>After</p>\n"
    assert html.autop("A<br /><br />B", br=False) == "<p>A</p>\n<p>B</p>\n"


def test_autop_leaves_preformatted_text_alone():
    assert html.autop("<pre>a\n\nb</pre>\n\nText") == "<pre>a\n\nb</pre>\n<p>Text</p>\n"


def test_caption_shortcode_becomes_a_figure():
    source = '[caption id="a1" align="alignleft" width="300"]<img src="https://e.org/i.jpg" alt="x" /> A caption[/caption]'
    assert html.do_shortcodes(source) == '<figure><img src="https://e.org/i.jpg" alt="x" /><figcaption>A caption</figcaption></figure>'
    attribute = '[caption caption="Said so"]<img src="https://e.org/i.jpg" />[/caption]'
    assert "<figcaption>Said so</figcaption>" in html.do_shortcodes(attribute)


def test_gallery_shows_the_attached_images():
    attachments = {
        "7": html.Attachment(url="https://e.org/7.jpg", title="Seven", parent="1"),
        "8": html.Attachment(url="https://e.org/8.jpg", title="Eight", parent="2"),
    }
    assert html.do_shortcodes("[gallery]", post_key="1", attachments=attachments).count("<img") == 1
    both = html.do_shortcodes('[gallery ids="8,7"]', post_key="1", attachments=attachments)
    assert both.index("8.jpg") < both.index("7.jpg")
    notes = html.Notes()
    assert html.do_shortcodes("[gallery]", post_key="3", attachments=attachments, notes=notes) == ""
    assert notes.dropped == {"[gallery] shortcode whose images are not in the export": 1}


def test_media_shortcodes_become_links():
    assert html.do_shortcodes("[audio src='https://e.org/a.mp3']") == '<p><a href="https://e.org/a.mp3">https://e.org/a.mp3</a></p>'
    assert 'href="https://www.youtube.com/watch?v=abc"' in html.do_shortcodes("[youtube abc]")
    assert 'href="https://e.org/v"' in html.do_shortcodes("[embed]https://e.org/v[/embed]")


def test_code_shortcodes_become_preformatted_code():
    converted = html.wordpress_html('[code language="python"]\nif a < b:\n\n    pass\n[/code]').strip()
    assert converted == '<pre><code class="language-python">if a &lt; b:\n\n    pass</code></pre>'


def test_unknown_brackets_are_words_and_doubled_brackets_are_literal():
    assert html.do_shortcodes("coracles [simple boat] and [1]") == "coracles [simple boat] and [1]"
    assert html.do_shortcodes("Write [[gallery]] to show one") == "Write [gallery] to show one"


def test_shortcodes_only_wordpress_can_show_are_dropped_and_counted():
    notes = html.Notes()
    assert html.do_shortcodes('[contact-form][contact-field label="Name"][/contact-form]', notes=notes) == ""
    assert notes.dropped == {"[contact-form] shortcode": 1}


def test_a_url_alone_on_its_line_becomes_a_link():
    assert html.link_bare_urls("See\nhttps://e.org/x\nthere") == 'See\n<a href="https://e.org/x">https://e.org/x</a>\nthere'
    assert html.link_bare_urls("<pre>\nhttps://e.org/x\n</pre>") == "<pre>\nhttps://e.org/x\n</pre>"


def test_block_editor_content_loses_its_comments_and_gets_no_extra_paragraphs():
    source = '<!-- wp:paragraph -->\n<p>Hello</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:latest-posts /-->'
    notes = html.Notes()
    body = html.post_body_from_html(html.wordpress_html(source, notes=notes))
    assert body == "<p>Hello</p>"
    assert notes.dropped == {"wp:latest-posts block": 1}


def test_the_more_marker_splits_the_teaser():
    assert html.split_more("Teaser\n<!--more-->\nRest") == ("Teaser\n", "Teaser\n<!--more-->\nRest")
    assert html.split_more("No marker") == (None, "No marker")


def test_a_post_body_renders_as_the_html_it_was():
    source = (
        "Text first, *not emphasis*, 1. not a list\n<pre>line one\n\n    indented after a blank line\n</pre>\n\n"
        "<p>A # paragraph</p>\n\n\n<ul>\n\n\t<li>item</li>\n</ul>"
    )
    body = html.post_body_from_html(source)
    assert "\n\n" not in body
    rendered = markdown.render_post(body)
    assert html.same_html(rendered, body)
    # Text before any block is wrapped, so Markdown takes even the first line as HTML.
    assert rendered.startswith("<div>\nText first, *not emphasis*, 1. not a list")
    assert "<pre>line one\n\n    indented after a blank line\n</pre>" in rendered
    assert html.post_body_from_html("<p>Starts with a block</p>") == "<p>Starts with a block</p>"


def test_a_post_body_is_sanitized():
    body = html.post_body_from_html('<p onclick="x()">Hi<script>alert(1)</script></p><iframe src="https://e.org"></iframe>')
    assert body == "<p>Hi</p>"


def test_comment_markup_becomes_markdown():
    assert html.comment_markdown_from_html("<b>Bold</b> and <i>it</i> and <code>a*b</code>") == "**Bold** and *it* and `a*b`"
    assert html.comment_markdown_from_html('<a href="https://e.org/" title="T">link</a>') == '[link](https://e.org/ "T")'
    assert html.comment_markdown_from_html("<blockquote>Quoted</blockquote>Reply") == "> Quoted\n\nReply"
    assert html.comment_markdown_from_html("<ol><li>one</li><li>two</li></ol>") == "1. one\n2. two"
    assert html.comment_markdown_from_html("<pre>code ```\n  x</pre>") == "````\ncode ```\n  x\n````"


def test_comment_images_and_headings_keep_their_words():
    converted = html.comment_markdown_from_html('<h2>Title</h2><img src="https://e.org/c.jpg" alt="A cat">')
    rendered = markdown.render_comment(converted)
    assert "<strong>Title</strong>" in rendered
    assert '<a href="https://e.org/c.jpg" rel="nofollow ugc noopener">A cat</a>' in rendered


def test_comment_scripts_and_dangerous_links_go():
    converted = html.comment_markdown_from_html('<a href="javascript:alert(1)">x</a><script>alert(2)</script>')
    rendered = markdown.render_comment(converted)
    assert "javascript" not in rendered and "alert" not in rendered and "x" in rendered


def plain(rendered):
    return re.sub(r"\s+", " ", html.plain_text(rendered)).strip()


@settings(max_examples=300, deadline=None)
@given(st.text(
    alphabet=st.sampled_from(list("ab 1.-+#>*_`[]()<>&;!~|\\=:/\n")) | st.characters(blacklist_categories=("Cs", "Cc")),
    max_size=80,
))
def test_any_comment_text_shows_exactly_as_written(text):
    converted = html.comment_markdown_from_html(escape(text))
    assert plain(markdown.render_comment(converted)) == re.sub(r"\s+", " ", text).strip()


def test_comment_markup_nested_thousands_deep_keeps_its_text():
    for markup in ("<blockquote>" * 3000 + "deep" + "</blockquote>" * 3000, "<b>" * 3000 + "deep" + "</b>" * 3000):
        assert markdown.render_comment(html.comment_markdown_from_html(markup)) == "<p>deep</p>\n"


def test_an_unclosed_pre_is_not_a_block_as_in_wordpress():
    # The blank line still makes a paragraph, which a closed <pre> would have prevented.
    assert html.autop("<pre>never closed\n\nText") == "<pre>never closed</p>\n<p>Text</p>\n"


def test_hostile_brackets_and_comments_take_no_time():
    import time

    started = time.monotonic()
    html.wordpress_html("[gallery " * 10_000)
    html.wordpress_html("[caption]<img src='x'>" * 900)
    html.wordpress_html("<!--x " * 20_000 + "text")
    assert time.monotonic() - started < 10
