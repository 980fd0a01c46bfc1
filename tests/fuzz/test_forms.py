"""Every form a reader or an author can send, with fields of every shape.

A reader's comment, reply and search; an author's admin post form (as an author and as a
superuser) and tag form; the editor's Markdown preview. The harness checks the logs, the
stored rows and the feeds after each input (tests/fuzz/harness.py).
"""

from urllib.parse import quote_from_bytes

import pytest
from django.urls import reverse
from hypothesis import strategies as st

from comments.forms import CommentForm
from tests.fuzz.harness import Broken, Outcome, refused_if
from tests.fuzz.strategies import any_text, hostile_numbers, hostile_text, mostly

pytestmark = pytest.mark.django_db

# Markdown's expensive and confusing shapes: nesting, unclosed runs, HTML blocks, tables.
MARKDOWN_PIECES = [
    "**", "__", "*", "_", "**_", "_**", "`", "``", "```", "~~~", "[", "]", "(", ")", "![", "](",
    "[x]", "[x]: ", "<", ">", "<div>", "</div>", "<p>", "<!--", "-->", "<![CDATA[", "|", "|---|",
    "| a | b |\n|---|---|\n", "- ", "* ", "+ ", "1. ", "1) ", "> ", ">>", "# ", "###### ",
    "\n", "\n\n", "    ", "\t", "[^1]", "[^1]: ", "&", "&#", "&#0;", "&#x8;", "&#xFFFF;", ";",
    "\\", "http://", "https://example.org/", "www.", "<https://x.example>", "javascript:", "~~",
    "---\n", "***\n", "===\n", "$", "{", "}", ":", "\u202e", "\x08", "\x00",
]
markdown_text = st.one_of(
    hostile_text,
    st.lists(st.sampled_from(MARKDOWN_PIECES) | any_text, max_size=40).map("".join),
    # One piece over and over: the pathological inputs of Markdown parsers.
    st.tuples(st.sampled_from(MARKDOWN_PIECES), st.integers(1, 3000)).map(lambda pair: pair[0] * pair[1]),
)
# Markdown an author could mean: the same shapes, in visible characters only.
visible_text = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), max_size=30)
written_markdown = st.lists(
    st.sampled_from([piece for piece in MARKDOWN_PIECES if piece.isprintable() or piece.strip(" \n\t") == ""])
    | visible_text,
    min_size=1, max_size=30,
).map("".join).filter(str.strip)
emails = st.one_of(st.emails().map(str), hostile_text, st.just("penelope@example.org"))
web_addresses = st.one_of(
    st.just(""), st.sampled_from(["https://example.org/", "http://[::1]/", "https://x.example:99999/",
                                  "javascript:alert(1)", "https://" + "a" * 300 + ".example/"]),
    st.from_regex(r"https?://[a-z0-9.\-]{1,30}(/[^\s]{0,30})?", fullmatch=True), hostile_text,
)


def urlencoded_junk():
    """A raw form body: bytes that may not be UTF-8 at all, percent-encoded or not."""
    pair = st.tuples(st.sampled_from(["name", "email", "body", "url", "q", "content", "title"]), st.binary(max_size=40))
    return st.lists(pair, max_size=6).map(
        lambda pairs: "&".join(f"{key}={quote_from_bytes(value)}" for key, value in pairs).encode()
    )


def form_errors(response):
    """The names of the fields the form on the page refused, for the run's summary."""
    form = response.context.get("adminform") or response.context.get("form") if response.context else None
    form = getattr(form, "form", form)
    return "errors in " + ", ".join(sorted(form.errors)) if form is not None else "refused"


# Comments and replies ------------------------------------------------------------------


@st.composite
def comment_submissions(draw, site):
    post = site.posts[draw(st.sampled_from(["published"] * 6 + ["other", "closed", "draft", "scheduled"]))]
    pending = site.comments["pending"]
    signed = CommentForm(post).fields["timestamp"].initial
    parents = [str(c.pk) for c in site.comments.values()]
    fields = {
        "name": draw(mostly(st.just("Reader"), hostile_text, one_in=2)),
        "email": draw(mostly(st.emails().map(str), emails)),
        "url": draw(mostly(st.just(""), web_addresses, one_in=2)),
        "body": draw(mostly(written_markdown, markdown_text)),
        "notify": draw(mostly(st.sampled_from(["", "on"]), hostile_text)),
        "parent": draw(mostly(st.sampled_from(["", "", *parents]), hostile_numbers)),
        "timestamp": draw(mostly(st.just(signed), st.sampled_from([signed + "x", "", "1:2:3"]) | hostile_text)),
        "honeypot": draw(mostly(st.just(""), hostile_text, one_in=8)),
    }
    if draw(st.integers(0, 9)) == 0:
        # Someone else's pending comment, sent again word for word under another name.
        fields.update(body=pending.body, email=pending.author_email, parent="")
    if draw(st.integers(0, 9)) == 0:
        del fields[draw(st.sampled_from(sorted(fields)))]
    raw = draw(st.none() | urlencoded_junk()) if draw(st.integers(0, 9)) == 0 else None
    headers = {
        "REMOTE_ADDR": draw(st.sampled_from(["203.0.113.7", "2001:db8::1", "::ffff:192.0.2.1"])),
        "HTTP_USER_AGENT": draw(st.just("Mozilla/5.0") | hostile_text),
        "HTTP_X_FORWARDED_FOR": draw(st.just("") | hostile_text),
    }
    return post, fields, raw, headers


def send_comment(site, submission):
    post, fields, raw, headers = submission
    reader = site.client()
    url = reverse("comments:post", args=[post.pk])
    if raw is not None:
        response = reader.generic("POST", url, raw, content_type="application/x-www-form-urlencoded", **headers)
    else:
        response = reader.post(url, fields, **headers)
    assert response.status_code in (302, 400, 403, 404, 429), response.status_code
    if response.status_code != 302:
        return refused_if(response.status_code, f"{response.status_code} {form_errors(response)}")
    # The page the reader is sent to shows their comment, and nothing of anyone else's
    # that is not published.
    page = reader.get(response["Location"])
    assert page.status_code == 200, page.status_code
    pending = site.comments["pending"]
    if pending.author_url not in fields.get("url", "") and pending.author_url.encode() in page.content:
        raise Broken("a resubmission shows someone else's pending comment and website")
    return Outcome("302 stored", refused=False)


def test_comment_and_reply_forms_refuse_or_store_any_input_cleanly(fuzz, site):
    fuzz("form: comment and reply", comment_submissions(site), lambda s: send_comment(site, s), ci_examples=50)


# Search --------------------------------------------------------------------------------

search_queries = st.one_of(
    hostile_text,
    markdown_text,
    st.lists(st.sampled_from(["walls", "Rome", "-", "--", "!", "&", "|", ":*", "<->", '"', "(", ")",
                              "or", "OR", "and", "not", "-walls", '"the walls"', "*", "'", "\\"]),
             max_size=40).map(" ".join),
    st.tuples(st.sampled_from(["-", "!", "(", "&", '"', ":*", "<->", "|"]), st.integers(1, 300)).map(
        lambda pair: pair[0] * pair[1]
    ),
)


def search(site, request):
    role, query, page = request
    params = {"q": query}
    if page is not None:
        params["page"] = page
    response = site.client(role).get(reverse("blog:search"), params)
    # A NUL byte in a query string is refused before any view (blog/security.py).
    expected = (400,) if "\x00" in query or "\x00" in (page or "") else (200, 404)
    assert response.status_code in expected, response.status_code
    return refused_if(response.status_code)


def test_search_answers_any_query_with_results_or_nothing_found(fuzz, site):
    requests = st.tuples(
        st.sampled_from(["anonymous", "anonymous", "author"]),
        search_queries,
        mostly(st.none(), st.sampled_from(["1", "2", "last", "0", "-1", "9" * 30]) | hostile_numbers),
    )
    fuzz("form: search", requests, lambda r: search(site, r), ci_examples=30)


# The editor: Markdown preview ------------------------------------------------------------


def preview(site, request):
    role, content = request
    response = site.client(role).post("/markdownx/markdownify/", {"content": content})
    assert response.status_code in (200, 400, 403), response.status_code
    return refused_if(response.status_code)


def test_markdown_preview_renders_or_refuses_any_text(fuzz, site):
    requests = st.tuples(st.sampled_from(["author", "author", "superuser", "moderator"]), markdown_text)
    fuzz("form: markdown preview", requests, lambda r: preview(site, r), ci_examples=30)


# The admin's post and tag forms -----------------------------------------------------------

dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01", "10000-01-01", "",
                     "31/12/2026", "12/31/2026", "2026-1-1", "２０２６-01-01"]),
    hostile_text,
)
times = st.one_of(
    st.times().map(str),
    st.sampled_from(["23:59:59", "00:00", "24:00", "25:61", "12:00:00.999999999", ""]),
    hostile_text,
)


@st.composite
def post_forms(draw, site):
    role = draw(st.sampled_from(["author", "superuser"]))
    own = site.posts["published"] if draw(st.booleans()) else None
    tag_ids = [str(pk) for pk in site.posts["published"].tags.values_list("pk", flat=True)]
    # A published post keeps its permalink: a change of slug or date is refused, so the
    # post's own are sent most of the time.
    slug = st.just(own.slug) if own else st.from_regex(r"[-a-z0-9_]{1,40}", fullmatch=True)
    day = st.just(f"{own.published_at:%Y-%m-%d}") if own else st.dates().map(str)
    moment = st.just(f"{own.published_at:%H:%M:%S}") if own else st.times().map(lambda t: t.strftime("%H:%M:%S"))
    data = {
        "title": draw(mostly(visible_text.filter(str.strip), hostile_text)),
        "slug": draw(mostly(slug, hostile_text)),
        "body": draw(mostly(written_markdown, markdown_text)),
        "summary": draw(mostly(st.just(""), written_markdown | markdown_text, one_in=2)),
        "tags": draw(st.lists(mostly(st.sampled_from(tag_ids), hostile_numbers), max_size=3)),
        "status": draw(mostly(st.sampled_from(["draft", "published", "published"]), hostile_text)),
        "published_at_0": draw(mostly(day, dates)),
        "published_at_1": draw(mostly(moment, times)),
        "author": draw(mostly(st.sampled_from([str(u.pk) for u in site.users.values()]), hostile_numbers)),
        "comments_enabled": draw(st.sampled_from(["on", ""])),
        "_save": "Save",
    }
    if draw(st.integers(0, 9)) == 0:
        del data[draw(st.sampled_from(sorted(data)))]
    return role, own, data


def save_post(site, request):
    role, own, data = request
    editor = site.client(role)
    url = reverse("admin:blog_post_change", args=[own.pk]) if own else reverse("admin:blog_post_add")
    response = editor.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        return Outcome(f"200 {form_errors(response)}", refused=True)
    # Whatever was saved, readers' pages show it.
    reader = site.client()
    for page in ["/", "/search/?q=title", *[post.get_absolute_url() for post in site.posts.values()]]:
        status = reader.get(page).status_code
        assert status in (200, 404), f"{page}: {status}"
    return Outcome("302 saved", refused=False)


def test_admin_post_form_saves_or_refuses_any_input(fuzz, site):
    fuzz("form: admin post", post_forms(site), lambda r: save_post(site, r), ci_examples=30)


@st.composite
def tag_forms(draw):
    return {
        "name": draw(mostly(visible_text.filter(str.strip), hostile_text)),
        "slug": draw(mostly(st.from_regex(r"[-a-z0-9_]{1,40}", fullmatch=True), hostile_text)),
        "_save": "Save",
    }


def save_tag(site, data):
    response = site.client("superuser").post(reverse("admin:blog_tag_add"), data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        return Outcome(f"200 {form_errors(response)}", refused=True)
    assert site.client().get("/").status_code == 200
    return Outcome("302 saved", refused=False)


def test_admin_tag_form_saves_or_refuses_any_input(fuzz, site):
    fuzz("form: admin tag", tag_forms(), lambda data: save_tag(site, data), ci_examples=15)

