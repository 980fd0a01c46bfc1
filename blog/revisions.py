"""A post's revisions: every save keeps one (django-reversion), compared and restored here.

A revision is made by the code path that saves: the admin's change form (PostAdmin), a
restore (restore() below), and anything else that wraps its saves in `saving(user, comment)`.
Each stores the fields in STORED_FIELDS (those compared, REVISED_FIELDS, with the tags),
who saved and when.
"""

import difflib
from contextlib import contextmanager

import reversion
from django.utils import timezone
from reversion.models import Version

# What a revision keeps and shows, in the order a comparison lists the changes.
REVISED_FIELDS = [
    "title", "slug", "summary", "body", "tags", "cover_image", "cover_alt", "status", "published_at",
    "comments_enabled",
]
# What a revision stores: also the cover's size, which Django would otherwise work out
# by reading the image file each time an old revision is loaded (and fail on if it is gone).
STORED_FIELDS = [*REVISED_FIELDS, "cover_width", "cover_height"]
# What restoring brings back: the writing and its tags. Status, dates and slug stay as they
# are now, so restoring an old text never unpublishes a post or moves its permalink.
RESTORED_FIELDS = ["title", "summary", "body"]
LINE_FIELDS = {"summary", "body"}


@contextmanager
def saving(user, comment=""):
    """Every post saved inside this block gets one revision, by `user`, with `comment`."""
    with reversion.create_revision():
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment)
        yield


def describe(comment):
    """Say what the revision being saved changed (the admin's change message)."""
    if reversion.is_active():
        reversion.set_comment(comment)


def history(post):
    """The post's revisions, newest first, with who saved each."""
    return Version.objects.get_for_object(post).select_related("revision__user")


def snapshot(version):
    """What a revision held, field by field; tags as a sorted list of names."""
    from blog.models import Tag

    fields = version.field_dict
    tag_ids = [int(pk) for pk in fields.get("tags", [])]
    names = dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name"))
    data = {name: fields.get(name) for name in REVISED_FIELDS if name != "tags"}
    data["tags"] = sorted(names.get(pk, f"(deleted tag {pk})") for pk in tag_ids)
    return data


def compare(older, newer):
    """The differences between two revisions, as a list of changed fields.

    Each change is {"field", "label", "old", "new"} for short values, or {"field", "label",
    "lines"} for the body and summary, whose lines are {"kind": "same" | "added" | "removed", "text"}.
    """
    from blog.models import Post

    before, after = snapshot(older), snapshot(newer)
    changes = []
    for name in REVISED_FIELDS:
        old, new = before[name], after[name]
        if old == new:
            continue
        label = Post._meta.get_field(name).verbose_name
        if name in LINE_FIELDS:
            changes.append({"field": name, "label": label, "lines": line_diff(old or "", new or "")})
        else:
            changes.append({"field": name, "label": label, "old": _shown(old), "new": _shown(new)})
    return changes


def line_diff(old, new, context=2):
    """Lines removed and added between two texts, with `context` unchanged lines around."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    rows = []
    for group in matcher.get_grouped_opcodes(context):
        if rows:
            rows.append({"kind": "gap", "text": "…"})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [{"kind": "same", "text": line} for line in old_lines[i1:i2]]
                continue
            rows += [{"kind": "removed", "text": line} for line in old_lines[i1:i2]]
            rows += [{"kind": "added", "text": line} for line in new_lines[j1:j2]]
    return rows


def _shown(value):
    if isinstance(value, list):
        return ", ".join(value) or "(none)"
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "(none)"
    if value in ("", None):
        return "(none)"
    return str(value)


def restore(post, version, user):
    """Bring back an earlier revision's writing; the result is itself a new revision."""
    from blog.models import Tag

    fields = version.field_dict
    for name in RESTORED_FIELDS:
        setattr(post, name, fields[name])
    post.full_clean()
    saved_at = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")
    tag_ids = [int(pk) for pk in fields.get("tags", [])]
    with saving(user, f"Restored the revision of {saved_at}."):
        post.save()
        # A tag deleted since then cannot come back.
        post.tags.set(Tag.objects.filter(pk__in=tag_ids))
    return post
