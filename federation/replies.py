"""Replies from the fediverse become comments, through the very path a form comment takes.

A Note that answers one of our posts (its Article id or its permalink), one of our
comments (its Note id) or a fediverse comment we hold (its remote id) is stored by
comments.moderation.receive(): the same blocklist, spam filter, keywords, links rule and
moderation mode, the same queue, log and "why held", the same emails to moderators. It
has no email address, so no earlier comment vouches for it: under the default mode it
waits for a moderator. Its author's edits go through revise() and their deletions through
privacy.withdraw(), as a commenter's own would; only the Note's own actor may do either.

The Note's HTML is never kept: it becomes Markdown (transfer.html, as imported comments
do) and is rendered by the comment sanitizer like any comment.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import Resolver404, resolve

from blog import markdown
from blog.models import Post
from blog.text import forbidden_characters
from comments import moderation, privacy
from comments.forms import clean_display_name
from comments.models import BODY_MAX_LENGTH, NAME_MAX_LENGTH, Comment
from comments.models import URL_MAX_LENGTH as WEBSITE_MAX_LENGTH
from federation import documents
from federation.inbox import Refusal, handles, object_id
from federation.models import URL_MAX_LENGTH, RemoteReply, host_of
from transfer.html import comment_markdown_from_html

# A mention or hashtag link as the HTML-to-Markdown conversion writes it.
_TAG_LINK = re.compile(r"\[([@#][^\]\n]{1,300})\]\((https?://[^)\s]{1,2000})\)")


def find_post(url):
    """The published post that `url` names: its Article id or its permalink; else None."""
    if not isinstance(url, str) or not documents.same_host(url):
        return None
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name == "federation:article":
        return Post.objects.published().filter(pk=match.kwargs["pk"]).first()
    if match.view_name == "blog:post-detail":
        for post in Post.objects.published().filter(slug=match.kwargs["slug"]):
            if post.get_absolute_url() == path:
                return post
    return None


def find_target(url):
    """(post, comment or None) that a reply to `url` answers, or None if not ours."""
    if not isinstance(url, str) or not url:
        return None
    if documents.same_host(url):
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            return None
        if match.view_name == "federation:note":
            comment = Comment.objects.filter(pk=match.kwargs["pk"]).select_related("post").first()
            return (comment.post, comment) if comment and comment.post.is_published else None
        post = find_post(url)
        return (post, None) if post else None
    comment = (
        Comment.objects.filter(remote_id=url, origin=Comment.Origin.FEDIVERSE)
        .select_related("post").order_by("pk").first()
    )
    if comment is not None and comment.post.is_published:
        return comment.post, comment
    return None


# A note's HTML: links, mentions and paragraphs take several times the characters of the
# words they carry, so a comment's worth of text fits in this much markup and more.
CONTENT_MAX_LENGTH = 4 * BODY_MAX_LENGTH


def place_under(parent):
    """Where a reply to `parent` goes: the nearest ancestor that may take a reply (the
    thread's depth limit, and only under what readers see), or the top of the thread."""
    while parent is not None and not moderation.can_reply_to(parent):
        parent = parent.parent
    return parent


def body_from(note):
    """The Markdown of a Note's content, or Refusal(400) if a comment cannot hold it."""
    content = note.get("content")
    if not isinstance(content, str):
        content = ""
    if len(content) > CONTENT_MAX_LENGTH:
        # Refused before it is read: cleaning deeply nested markup takes time that grows
        # with the square of its length (seconds for an inbox's largest activity).
        raise Refusal(400, f"A reply's HTML may be at most {CONTENT_MAX_LENGTH:,} characters.")
    source = comment_markdown_from_html(content)
    local = {documents.actor_id(settings.ACTIVITYPUB_BLOG_USERNAME), documents.absolute("/")}

    def tag_as_text(match):
        # Mentions and hashtags are links on their server; here they would count as links
        # for the moderation rules. A mention of the blog itself says nothing at all.
        return "" if match.group(2) in local else match.group(1)

    source = _TAG_LINK.sub(tag_as_text, source)
    source = source.replace("\r\n", "\n")
    for character in set(forbidden_characters(source)):
        source = source.replace(character, "")
    source = source.strip()
    summary = note.get("summary")
    if isinstance(summary, str) and summary.strip():
        # A content warning is part of what the author wrote, shown first.
        source = f"**{clean_display_name(summary)[:200]}**\n\n{source}".strip()
    if not source:
        raise Refusal(400, "The reply has no text.")
    if len(source) > BODY_MAX_LENGTH:
        raise Refusal(400, f"A comment may be at most {BODY_MAX_LENGTH} characters.")
    try:
        markdown.check_comment_source(source)
    except markdown.MarkdownError as error:
        raise Refusal(400, f"This reply cannot be shown as a comment: {error}.") from None
    return source


def author_name(actor):
    name = clean_display_name("".join(c for c in actor.display_name if c not in forbidden_characters(actor.display_name)))
    return (name or actor.domain)[:NAME_MAX_LENGTH]


def author_url(actor):
    for url in (actor.profile_url, actor.uri):
        if url and len(url) <= WEBSITE_MAX_LENGTH:
            return url
    return ""


def note_of(activity, actor):
    """The Note an activity carries, checked to be its actor's; None for other objects."""
    note = activity.get("object")
    if not isinstance(note, dict) or note.get("type") != "Note":
        return None
    note_id = object_id(note)
    if not note_id or len(note_id) > URL_MAX_LENGTH or not note_id.lower().startswith(("http://", "https://")):
        raise Refusal(400, "The Note has no usable id.")
    if host_of(note_id) != actor.domain:
        raise Refusal(400, "The Note's id is not on its author's server.")
    attributed = note.get("attributedTo", actor.uri)
    authors = attributed if isinstance(attributed, list) else [attributed]
    if not authors or any(object_id(author) != actor.uri for author in authors):
        raise Refusal(400, "The Note is attributed to someone else.")
    return note


@handles("Create")
def create(activity, actor):
    note = note_of(activity, actor)
    if note is None:
        return "ignored: only Notes are taken"
    if not is_public(note):
        # A direct or followers-only reply was not written for a public page.
        return "ignored: only public replies become comments"
    target = find_target(object_id(note.get("inReplyTo")))
    if target is None:
        return "ignored: not a reply to this blog"
    post, parent = target
    if Comment.objects.filter(post=post, remote_id=note["id"]).exists():
        return "already received"
    if not moderation.comments_open(post):
        raise Refusal(403, "Comments are closed on this post.")
    comment = Comment(
        post=post,
        parent=place_under(parent),
        author_name=author_name(actor),
        author_url=author_url(actor),
        body=body_from(note),
        origin=Comment.Origin.FEDIVERSE,
        remote_id=note["id"],
    )
    with transaction.atomic():
        try:
            comment, created = moderation.receive(comment, user=AnonymousUser())
        except moderation.Flooding:
            raise Refusal(429, "Too many replies at once.") from None
        if created:
            RemoteReply.objects.create(comment=comment, actor=actor)
    return f"reply received: {comment.get_status_display().lower()}"


PUBLIC = {documents.AS_PUBLIC, "as:Public", "Public"}


def is_public(note):
    """Whether a Note is addressed to the public (in `to` or `cc`: public or unlisted)."""
    audience = []
    for field in ("to", "cc"):
        value = note.get(field)
        audience.extend(value if isinstance(value, list) else [value])
    return any(isinstance(item, str) and item in PUBLIC for item in audience)


def comments_of(note_id, actor):
    """The fediverse comments for `note_id` still standing; Refusal(403) if another actor
    wrote them."""
    comments = [
        comment
        for comment in Comment.objects.filter(remote_id=note_id, origin=Comment.Origin.FEDIVERSE)
        .select_related("fediverse_reply", "post")
        if not withdrawn(comment)
    ]
    for comment in comments:
        reply = getattr(comment, "fediverse_reply", None)
        if reply is None or reply.actor_id != actor.pk:
            raise Refusal(403, "Only the author of a reply may change or delete it.")
    return comments


def withdrawn(comment):
    return comment.held_reason == privacy.WITHDRAWN_REASON and not comment.body


def withdraw(comment):
    """Its author deleted it: emptied as a commenter's own deletion is, and who wrote it
    is forgotten too."""
    privacy.withdraw(comment)
    RemoteReply.objects.filter(comment=comment).delete()


@handles("Update")
def update(activity, actor):
    obj = activity.get("object")
    if isinstance(obj, dict) and object_id(obj) == actor.uri:
        from federation import remote

        try:
            remote.store(obj)
        except remote.RemoteError as error:
            raise Refusal(400, str(error)) from None
        return "profile updated"
    note = note_of(activity, actor)
    if note is None:
        return "ignored: only Notes and profiles are updated"
    comments = comments_of(note["id"], actor)
    if not comments:
        return "ignored: no such reply here"
    body = body_from(note)
    for comment in comments:
        if comment.body == body:
            continue
        try:
            moderation.revise(comment, body, user=AnonymousUser())
        except moderation.DuplicateEdit:
            pass
    return "reply updated"


@handles("Delete")
def delete(activity, actor):
    target = object_id(activity.get("object"))
    if target == actor.uri:
        for comment in comments_by_actor(actor):
            withdraw(comment)
        actor.following.all().delete()
        actor.reactions.all().delete()
        return "account removed"
    comments = comments_of(target, actor)
    for comment in comments:
        withdraw(comment)
    return "reply deleted" if comments else "ignored: no such reply here"


def comments_by_actor(actor):
    return [c for c in Comment.objects.filter(fediverse_reply__actor=actor) if not withdrawn(c)]
