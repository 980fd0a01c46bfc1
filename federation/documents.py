"""The JSON-LD documents we publish: actors, articles, notes, collections, activities.

Ids are absolute URLs under settings.SITE_URL, apart from the HTML pages (a post's id is
not its permalink), so no HTML page ever varies on the Accept header.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from blog.models import display_name
from blog.site import site_settings
from federation.models import host_of

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def absolute(path):
    return settings.SITE_URL + path


def site_host():
    """The host of SITE_URL (with its port, if it names one): the part after @ in handles."""
    return urlsplit(settings.SITE_URL).netloc


def actor_id(username):
    return absolute(reverse("federation:actor", args=[username]))


def key_id(username):
    return actor_id(username) + "#main-key"


def inbox_id(username):
    return absolute(reverse("federation:inbox", args=[username]))


def followers_id(username):
    return absolute(reverse("federation:followers", args=[username]))


def article_id(post_id):
    return absolute(reverse("federation:article", args=[post_id]))


def note_id(comment_id):
    return absolute(reverse("federation:note", args=[comment_id]))


def actor(local_actor, *, user=None):
    """The actor document of the blog, or of the author `user` when it is theirs."""
    username = local_actor.username
    settings_row = site_settings()
    if user is None:
        name, url = settings_row.name, absolute(reverse("blog:post-index"))
        summary = render_to_string("federation/actor_summary.html", {"site": settings_row})
    else:
        name, url = display_name(user), absolute(reverse("blog:author-detail", args=[username]))
        profile = getattr(user, "author_profile", None)
        summary = render_to_string("federation/author_summary.html", {"profile": profile, "site": settings_row})
    return {
        "@context": CONTEXT,
        "id": actor_id(username),
        "type": "Person",
        "preferredUsername": username,
        "name": name,
        "summary": summary.strip(),
        "url": url,
        "inbox": inbox_id(username),
        "outbox": absolute(reverse("federation:outbox", args=[username])),
        "followers": followers_id(username),
        "endpoints": {"sharedInbox": absolute(reverse("federation:shared-inbox"))},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {
            "id": key_id(username),
            "owner": actor_id(username),
            "publicKeyPem": local_actor.public_key_pem,
        },
    }


# A site-relative address in sanitized HTML (always double-quoted by the sanitizer).
_RELATIVE = re.compile(r'\b(href|src)="(/(?!/)[^"]*)"')


def absolute_links(html):
    """`html` with this site's relative links and images made absolute: a remote server
    shows them far from this site."""
    return _RELATIVE.sub(lambda m: f'{m.group(1)}="{settings.SITE_URL}{m.group(2)}"', html)


def article(post, *, username):
    """A post as an Article, with a short Note for servers that show only notes (FEP-b2b8)."""
    url = absolute(post.get_absolute_url())
    summary = post.plain_summary
    tags = [
        {"type": "Hashtag", "name": f"#{tag.slug}", "href": absolute(tag.get_absolute_url())}
        for tag in post.tags.all()
    ]
    document = {
        "id": article_id(post.pk),
        "type": "Article",
        "attributedTo": actor_id(username),
        "name": post.title,
        "summary": summary,
        "content": absolute_links(post.body_html),
        "mediaType": "text/html",
        "url": url,
        "published": _time(post.published_at),
        "updated": _time(post.updated_at),
        "to": [AS_PUBLIC],
        "cc": [followers_id(username)],
        "tag": tags,
        "preview": {
            "type": "Note",
            "attributedTo": actor_id(username),
            "content": render_to_string(
                "federation/article_preview.html", {"post": post, "summary": summary, "url": url}
            ).strip(),
        },
    }
    if post.cover_image:
        document["image"] = {
            "type": "Image", "url": absolute(post.cover_image.url), "name": post.cover_alt,
        }
    return document


def note(comment, *, username, mention=None):
    """One of our approved comments as a Note, threaded under what it replies to: its
    parent's remote Note, our parent comment's Note, or the post's Article."""
    parent = comment.parent
    if parent is None:
        in_reply_to = article_id(comment.post_id)
    else:
        in_reply_to = parent.remote_id or note_id(parent.pk)
    document = {
        "id": note_id(comment.pk),
        "type": "Note",
        "attributedTo": actor_id(username),
        "inReplyTo": in_reply_to,
        "content": absolute_links(comment.body_html),
        "mediaType": "text/html",
        "url": absolute(comment.get_absolute_url()),
        "published": _time(comment.created_at),
        "to": [AS_PUBLIC],
        "cc": [followers_id(username)],
        "tag": [],
    }
    if mention is not None:
        document["to"] = [mention.uri, AS_PUBLIC]
        document["tag"] = [{"type": "Mention", "href": mention.uri, "name": mention.handle}]
    return document


def activity(kind, *, activity_id, username, obj, to=None, cc=None):
    document = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_id(username),
        "object": obj,
    }
    if to is not None:
        document["to"] = to
    if cc is not None:
        document["cc"] = cc
    return document


def ordered_collection(collection_id, *, total, items=None):
    document = {
        "@context": CONTEXT[0],
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if items is not None:
        document["orderedItems"] = items
    return document


def webfinger(username, *, profile_page=None):
    host = site_host()
    return {
        "subject": f"acct:{username}@{host}",
        "aliases": [actor_id(username)],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_id(username)},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile_page or absolute(reverse("blog:post-index")),
            },
        ],
    }


def _time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def same_host(url):
    """Whether `url` is on this site."""
    return host_of(url) == host_of(settings.SITE_URL)
