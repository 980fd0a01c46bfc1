"""The thread's markup (templates/jinja2/comments/_thread_items.html), byte for byte.

The template moved from Django's template language to Jinja2 for speed; these tests pin
the exact HTML the Django template rendered for a thread with every kind of comment, so
a designer's change shows up here as a deliberate diff, and the escaping of commenters'
text is Django's.
"""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from comments.threads import Node, assemble

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 4, 9, 5, tzinfo=dt_timezone.utc)
POST_AUTHOR = 7


def at(minutes):
    return START + timedelta(minutes=minutes)


def every_kind_of_comment():
    """A thread with one of each: the post author's comment, replies four deep, a reader's
    own comment awaiting moderation, origins, an edit, placeholders, and edit links."""
    nodes = [
        # pk, parent, depth, name, website, user, body, status, created, edited, origin,
        # remote id, Webmention kind
        Node(1, None, 0, "Ada \"Ace\" O'Neil <b>", "https://ada.example/?a=1&b=2", POST_AUTHOR,
             "<p>First &amp; <em>foremost</em>.</p>", "approved", at(0)),
        Node(2, 1, 1, "Bob", "", None, "<p>Reply from afar.</p>", "approved", at(1),
             at(30), "fediverse"),
        Node(3, 2, 2, "Cy", "javascript:alert(1)", None, "<p>Mine, held.</p>", "pending", at(2)),
        Node(4, 3, 3, "Di", "", None, "<p>Four deep.</p>", "approved", at(3)),
        Node(5, None, 0, "Spammer", "", None, "", "rejected", at(4)),
        Node(6, 5, 1, "Eve", "http://eve.example/", None, "<p>Mentioned.</p>", "approved",
             at(5), None, "webmention", "https://eve.example/notes/1", "reply"),
        Node(7, None, 0, "Held", "", None, "<p>Not yet.</p>", "pending", at(6)),
        Node(8, 7, 1, "Fay", "", None, "<p>Answering a held one.</p>", "approved", at(7)),
        Node(9, None, 0, "Gus", "", None, "<p>Last, and mine to change.</p>", "approved", at(8)),
    ]
    with timezone.override(dt_timezone.utc):
        thread = assemble(nodes, own_ids={3}, post_author_id=POST_AUTHOR, open_for_replies=True)
    thread.nodes[-1].edit_url = "/comments/9/edit/"
    thread.nodes[-1].delete_url = "/comments/9/delete/"
    return thread.nodes


# What Django's template language rendered for every_kind_of_comment() before the move,
# one comment a line here (the template writes no whitespace between them).
EXPECTED = "".join([
    '<li id="comment-1" class="comment comment-by-post-author"><article class="comment-article"><header class="comment-meta"><span class="comment-author"><a href="https://ada.example/?a=1&amp;b=2" rel="nofollow ugc noopener">Ada &quot;Ace&quot; O&#x27;Neil &lt;b&gt;</a></span><span class="comment-badge">author</span><a class="comment-permalink" href="/2026/03/04/post/#comment-1"><time datetime="2026-03-04T09:05:00+00:00">4 March 2026, 09:05</time></a></header><div class="comment-content"><p>First &amp; <em>foremost</em>.</p></div><p class="comment-actions"><a class="comment-reply-link" href="/comments/reply/1/" data-comment-id="1" data-author-name="Ada &quot;Ace&quot; O&#x27;Neil &lt;b&gt;">Reply<span class="visually-hidden"> to Ada &quot;Ace&quot; O&#x27;Neil &lt;b&gt;</span></a></p></article><ol class="comment-replies">',
    '<li id="comment-2" class="comment"><article class="comment-article"><header class="comment-meta"><span class="comment-author">Bob</span><span class="comment-origin">via the fediverse</span><a class="comment-permalink" href="/2026/03/04/post/#comment-2"><time datetime="2026-03-04T09:06:00+00:00">4 March 2026, 09:06</time></a><span class="comment-edited">edited <time datetime="2026-03-04T09:35:00+00:00">4 March 2026, 09:35</time></span></header><div class="comment-content"><p>Reply from afar.</p></div><p class="comment-actions"><a class="comment-reply-link" href="/comments/reply/2/" data-comment-id="2" data-author-name="Bob">Reply<span class="visually-hidden"> to Bob</span></a></p></article><ol class="comment-replies">',
    '<li id="comment-3" class="comment comment-awaiting"><article class="comment-article"><header class="comment-meta"><span class="comment-author">Cy</span><a class="comment-permalink" href="/2026/03/04/post/#comment-3"><time datetime="2026-03-04T09:07:00+00:00">4 March 2026, 09:07</time></a></header><p class="comment-awaiting-notice">Your comment is awaiting moderation. Only you can see it until a moderator approves it.</p><div class="comment-content"><p>Mine, held.</p></div></article><ol class="comment-replies">',
    '<li id="comment-4" class="comment"><article class="comment-article"><header class="comment-meta"><span class="comment-author">Di</span><a class="comment-permalink" href="/2026/03/04/post/#comment-4"><time datetime="2026-03-04T09:08:00+00:00">4 March 2026, 09:08</time></a></header><div class="comment-content"><p>Four deep.</p></div><p class="comment-actions"><a class="comment-reply-link" href="/comments/reply/4/" data-comment-id="4" data-author-name="Di">Reply<span class="visually-hidden"> to Di</span></a></p></article></li></ol></li></ol></li></ol></li>',
    '<li id="comment-5" class="comment comment-removed"><p class="comment-placeholder">Comment removed.</p><ol class="comment-replies">',
    '<li id="comment-6" class="comment"><article class="comment-article"><header class="comment-meta"><span class="comment-author"><a href="http://eve.example/" rel="nofollow ugc noopener">Eve</a></span><span class="comment-origin">replied <a href="https://eve.example/notes/1" rel="nofollow ugc noopener">on their site</a></span><a class="comment-permalink" href="/2026/03/04/post/#comment-6"><time datetime="2026-03-04T09:10:00+00:00">4 March 2026, 09:10</time></a></header><div class="comment-content"><p>Mentioned.</p></div><p class="comment-actions"><a class="comment-reply-link" href="/comments/reply/6/" data-comment-id="6" data-author-name="Eve">Reply<span class="visually-hidden"> to Eve</span></a></p></article></li></ol></li>',
    '<li id="comment-7" class="comment comment-removed"><p class="comment-placeholder">This comment is awaiting moderation.</p><ol class="comment-replies">',
    '<li id="comment-8" class="comment"><article class="comment-article"><header class="comment-meta"><span class="comment-author">Fay</span><a class="comment-permalink" href="/2026/03/04/post/#comment-8"><time datetime="2026-03-04T09:12:00+00:00">4 March 2026, 09:12</time></a></header><div class="comment-content"><p>Answering a held one.</p></div><p class="comment-actions"><a class="comment-reply-link" href="/comments/reply/8/" data-comment-id="8" data-author-name="Fay">Reply<span class="visually-hidden"> to Fay</span></a></p></article></li></ol></li>',
    '<li id="comment-9" class="comment"><article class="comment-article"><header class="comment-meta"><span class="comment-author">Gus</span><a class="comment-permalink" href="/2026/03/04/post/#comment-9"><time datetime="2026-03-04T09:13:00+00:00">4 March 2026, 09:13</time></a></header><div class="comment-content"><p>Last, and mine to change.</p></div><p class="comment-actions"><a class="comment-reply-link" href="/comments/reply/9/" data-comment-id="9" data-author-name="Gus">Reply<span class="visually-hidden"> to Gus</span></a> <a class="comment-edit-link" href="/comments/9/edit/">Edit<span class="visually-hidden"> your comment</span></a> <a class="comment-delete-link" href="/comments/9/delete/">Delete<span class="visually-hidden"> your comment</span></a></p></article></li>',
    "\n",
])


def render(nodes):
    return render_to_string(
        "comments/_thread_items.html",
        {"nodes": nodes, "permalink_base": "/2026/03/04/post/"},
        using="jinja2",
    )


def test_a_thread_with_every_kind_of_comment_renders_exactly_as_before():
    assert render(every_kind_of_comment()) == EXPECTED


def test_an_empty_page_of_a_thread_renders_nothing_but_the_last_newline():
    assert render([]) == "\n"


@pytest.mark.parametrize("value", [
    """<script>alert('x') & "y"</script>""",
    "Tom & Jerry <3",
    "O'Neil",
    'a "quoted" name',
    "plain words, é and 💬",
    12,
    None,
])
def test_values_are_escaped_as_django_templates_escape_them(value):
    django_engine, jinja2_engine = engines["django"], engines["jinja2"]

    rendered = jinja2_engine.from_string("{{ value }}").render({"value": value})

    assert rendered == django_engine.from_string("{{ value }}").render({"value": value})
    assert rendered == escape(value)


def test_stored_html_marked_safe_passes_unescaped_and_nothing_else_does():
    body = "<p>Kept <em>as stored</em></p>"
    template = engines["jinja2"].from_string("{{ body|safe }}|{{ body }}")

    assert template.render({"body": body}) == f"{body}|{escape(body)}"


def test_the_thread_template_is_for_jinja2_alone():
    """Django's engine does not find it under its name, so nothing renders it by mistake."""
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        engines["django"].get_template("comments/_thread_items.html")


def test_the_post_page_shows_commenters_text_escaped_the_django_way(client, published_post,
                                                                    make_comment):
    make_comment(name="Ada \"Ace\" O'Neil <b>")

    html = client.get(published_post.get_absolute_url()).content.decode()

    assert ">Ada &quot;Ace&quot; O&#x27;Neil &lt;b&gt;</span>" in html
    assert "&#39;" not in html and "&#34;" not in html
