"""The inbox, with activities of every shape signed by a server it knows: a clear refusal
or an acceptance, never a 500, a traceback in the log or a stored row changed by a refusal.

Each input starts from an activity a real server sends (a follow, a reply to a post, an
edit, a like, an undo, a deletion, a profile update) and removes some of its fields, or
its Note's, replaces them with JSON of any shape or adds text of any kind to them; now
and then the body is raw bytes. It is signed as Mastodon signs, so that it reaches what
comes after the signature.
"""

import pytest
from hypothesis import strategies as st

from tests.federation.fediverse import fediverse  # noqa: F401
from tests.fuzz.harness import refused_if
from tests.fuzz.strategies import EDGE_TEXT, any_text, hostile_numbers

pytestmark = pytest.mark.django_db

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BLOG = "http://testserver/ap/actors/blog"
# The fields the inbox reads, and some it does not.
FIELDS = ["id", "type", "actor", "object", "to", "cc", "inReplyTo", "content", "summary",
          "attributedTo", "published", "tag", "url", "name", "publicKey", "inbox", "endpoints",
          "preferredUsername", "@context", "signature", "audience"]
TYPES = ["Follow", "Undo", "Create", "Update", "Delete", "Like", "Announce", "Note", "Person",
         "Tombstone", "Accept", "Flag", "Move", "__proto__", ""]

json_text = st.one_of(
    st.sampled_from([text for text in EDGE_TEXT if len(text) <= 1000]),
    any_text,
    # JSON can spell what text from a form cannot: lone surrogates.
    st.sampled_from(["\ud800", "a\udfffb", "\u0000"]),
    # Long text, made rather than listed: Hypothesis writes out every strategy it checks.
    st.integers(1000, 8000).map(lambda length: "\u00e9" * length),
)
# What is added to a field's text: what ends a string early in C, what no database stores,
# what changes a URL's meaning, or any text at all.
suffixes = st.one_of(st.sampled_from(["\u0000", "\ud800", "/\udfff", "%00", "#x", "?a=b", "/../..", "\u202e"]),
                     json_text)
addresses = st.one_of(
    st.sampled_from([BLOG, "http://testserver/ap/posts/1", "http://testserver/ap/comments/1",
                     "http://testserver/ap/posts/" + "9" * 40, PUBLIC, "as:Public",
                     "https://elsewhere.example/users/x", "javascript:alert(1)", "http://[::1",
                     "http://127.0.0.1:99999/x", "urn:uuid:1"]),
    st.from_regex(r"https?://[a-z0-9.\-]{1,20}(/[^\s]{0,30})?", fullmatch=True),
)
json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
    json_text, addresses, st.sampled_from(TYPES), hostile_numbers,
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | json_text, inner, max_size=4),
    max_leaves=12,
)


def templates(alice, article):
    """Activities as servers send them, fresh for each input."""

    def note():
        return {**alice.note(article), "cc": [alice.uri + "/followers"]}

    return [
        lambda: alice.activity("Follow", BLOG),
        lambda: alice.activity("Undo", alice.activity("Follow", BLOG)),
        lambda: alice.activity("Create", note(), to=[PUBLIC]),
        lambda: alice.activity("Update", note()),
        lambda: alice.activity("Delete", note()["id"]),
        lambda: alice.activity("Delete", alice.uri),
        lambda: alice.activity("Like", article),
        lambda: alice.activity("Announce", article, to=[PUBLIC]),
        lambda: alice.activity("Undo", alice.activity("Like", article)),
        lambda: alice.activity("Update", alice.document()),
    ]


@st.composite
def activities(draw, alice, article):
    """An activity (or, one time in twenty, raw bytes) for alice to sign and send."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=200))
    activity = draw(st.sampled_from(templates(alice, article)))()
    for _ in range(draw(st.integers(0, 3))):
        inner = activity.get("object")
        fields = inner if isinstance(inner, dict) and draw(st.booleans()) else activity
        name = draw(st.sampled_from(sorted(fields)) | st.sampled_from(FIELDS))
        change = draw(st.sampled_from(["remove", "replace", "replace", "extend", "extend"]))
        if change == "remove":
            fields.pop(name, None)
        elif change == "extend" and isinstance(fields.get(name), str):
            # An address kept on its host, so that it gets past the first checks.
            fields[name] += draw(suffixes)
        else:
            fields[name] = draw(json_values)
    return activity


def test_the_inbox_refuses_or_takes_any_activity_cleanly(fuzz, site, fediverse, client):  # noqa: F811
    alice = fediverse.account("alice")
    article = f"http://testserver/ap/posts/{site.posts['published'].pk}"
    # Known before the inputs, as a real sender is: its key is not fetched again for each.
    assert alice.post(client, alice.activity("Flag", BLOG)).status_code == 202

    def send(activity):
        response = alice.post(client, activity)
        assert response.status_code in (202, 400, 401, 403, 413, 415, 429), response.status_code
        said = response.json()["error"] if response.status_code != 202 else response.content.decode()
        return refused_if(response.status_code, f"{response.status_code} {said.split(':')[0][:40]}")

    fuzz("federation: inbox activities", activities(alice, article), send, ci_examples=100)
