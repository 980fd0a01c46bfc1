"""Which change refreshes which cached pages: the one list, and the signals that apply it.

Every save and deletion of a model named in REFRESHES (the admin, the moderation queue,
the moderation rules, imports, privacy erasure, the shell) bumps the version keys its
rule returns, once per transaction and only after it commits (transaction.on_commit), so
no code that changes content has to remember the cache. Writes that bypass model signals
(bulk_create, QuerySet.update) must call refresh_everything() themselves: only
generate_content does.
"""

import threading
from dataclasses import dataclass
from typing import Callable

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from pagecache import store


def site(instance, **kwargs):
    """Shown on every page: lists, the sidebar, the menu, author pages, feeds, the sitemap."""
    return [store.SITE]


def user(instance, *, update_fields=None, **kwargs):
    """Authors' names are on their posts; a login (last_login) or a new password is not."""
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return []
    return [store.SITE]


def comment(instance, *, created=False, deleted=False, **kwargs):
    """A comment shows on its post's pages, its feeds, and (counted) on every list.

    A comment that is not shown and was not shown before changes no page, unless it holds
    replies in place as "comment removed": spam caught on arrival must not keep emptying
    the cache. (A new comment holds no replies; a deleted one's replies are deleted with
    it, each telling for itself.)
    """
    approved = instance.Status.APPROVED
    if approved in (instance.status, stored_status(instance)):
        return [store.COMMENTS, store.thread(instance.post_id)]
    if created or deleted or not instance.replies.exists():
        return []
    return [store.COMMENTS, store.thread(instance.post_id)]


def reaction(instance, **kwargs):
    """A fediverse like or boost is counted on its post's page, kept with its thread."""
    return [store.thread(instance.post_id)]


def mention(instance, **kwargs):
    """A Webmention's kind ("replied", "mentioned this") shows in its comment's thread."""
    return [store.thread(instance.post_id)] if instance.comment_id else []


@dataclass(frozen=True)
class Refresh:
    model: str  # app_label.ModelName
    keys: Callable  # (instance, created=..., deleted=...) -> the keys to bump
    # Also when the rows of this many-to-many field change (Post.tags).
    many_to_many: str = ""


REFRESHES = [
    Refresh("blog.Post", site, many_to_many="tags"),
    Refresh("blog.Tag", site),
    Refresh("blog.TagRedirect", site),
    Refresh("blog.AuthorProfile", site),
    Refresh("blog.SiteSettings", site),
    Refresh("blog.MenuLink", site),
    Refresh(settings.AUTH_USER_MODEL, user),
    Refresh("comments.Comment", comment),
    Refresh("webmention.Mention", mention),
    Refresh("pages.Page", site),
    Refresh("pages.PageRedirect", site),
    Refresh("federation.Reaction", reaction),
]


def refresh_everything():
    """After writes that send no model signals (bulk_create, update): every page may change."""
    keys = {store.SITE, store.COMMENTS}
    transaction.on_commit(lambda: store.bump(keys))


# Keys waiting for their transaction to commit, bumped together by the first callback.
# A rollback leaves them here for the next commit to bump: one refresh too many, never
# one too few.
_pending = threading.local()


def _schedule(keys):
    if not keys:
        return
    waiting = getattr(_pending, "keys", None)
    if waiting is None:
        waiting = _pending.keys = set()
    waiting.update(keys)
    transaction.on_commit(_flush)


def _flush():
    keys = discard_pending()
    if keys:
        store.bump(keys)


def discard_pending():
    """Forget the keys waiting for a commit (the test suite, whose transactions never commit)."""
    keys = getattr(_pending, "keys", None)
    _pending.keys = None
    return keys


# A comment's status as stored, to tell a comment leaving the thread from one that never
# was in it (see comment()).
STORED_STATUS = "pagecache_stored_status"


def stored_status(instance):
    return instance.__dict__.get(STORED_STATUS)


def _remember_status(sender, instance, **kwargs):
    if "status" not in instance.get_deferred_fields():
        instance.__dict__[STORED_STATUS] = instance.status if instance.pk is not None else None


def connect():
    for rule in REFRESHES:
        model = apps.get_model(rule.model)
        uid = f"pagecache.refresh.{rule.model}"

        def saved(sender, instance, created, raw=False, update_fields=None, rule=rule, **kwargs):
            if not raw:  # loading fixtures: nothing is cached from them yet
                _schedule(rule.keys(instance, created=created, update_fields=update_fields))

        def deleted(sender, instance, rule=rule, **kwargs):
            _schedule(rule.keys(instance, deleted=True))

        post_save.connect(saved, sender=model, weak=False, dispatch_uid=uid + ".save")
        post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=uid + ".delete")
        if rule.many_to_many:

            def related(sender, instance, action, rule=rule, **kwargs):
                if action in ("post_add", "post_remove", "post_clear"):
                    _schedule(rule.keys(instance))

            through = getattr(model, rule.many_to_many).through
            m2m_changed.connect(related, sender=through, weak=False, dispatch_uid=uid + ".m2m")
    # Connected after the rules, so they see the status as it was before this save.
    comment_model = apps.get_model("comments.Comment")
    for signal in (post_init, post_save):
        signal.connect(_remember_status, sender=comment_model, weak=False,
                       dispatch_uid=f"pagecache.refresh.status.{signal is post_init}")
