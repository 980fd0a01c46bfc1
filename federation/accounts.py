"""Which of our accounts the fediverse knows: the blog, and (ACTIVITYPUB_AUTHORS) each
author with a published post, under their username.

With authors on, a post is the Article of its author's actor: their followers get its
Create from them, and the blog's followers get it too, with the blog's Announce (a boost)
so it shows in their timelines. Off (the default), the blog publishes every post itself.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

from blog.models import Post
from federation import documents
from federation.models import LocalActor

# What a handle's user part may be: the acct: URI and Mastodon both take these.
USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


def blog_username():
    return settings.ACTIVITYPUB_BLOG_USERNAME


def author(username):
    """The author who is the actor `username`, or None (authors off, or no such author)."""
    if not settings.ACTIVITYPUB_AUTHORS or username == blog_username() or not USERNAME.match(username):
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not Post.objects.published().filter(author=user).exists():
        return None
    return user


def local_actor(username):
    """(LocalActor, the author or None) for `username`, or None if no such actor."""
    if username == blog_username():
        return LocalActor.blog(), None
    user = author(username)
    if user is None:
        return None
    return LocalActor.named(username), user


def from_url(url):
    """(LocalActor, author or None) whose actor id is `url`, or None."""
    if not isinstance(url, str) or not documents.same_host(url):
        return None
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    if match.view_name != "federation:actor" or documents.actor_id(match.kwargs["username"]) != url:
        return None
    return local_actor(match.kwargs["username"])


def publisher(post):
    """The username of the actor a post belongs to: its author's, if authors are actors."""
    username = post.author.get_username()
    if (settings.ACTIVITYPUB_AUTHORS and username != blog_username() and USERNAME.match(username)
            and post.author.is_active):
        return username
    return blog_username()
