"""Revisions of posts and pages: every save keeps one (django-reversion), compared and restored here.

A revision is made by the code path that saves: the admin's change form (RevisionsAdminMixin),
a restore (restore() below), and anything else that wraps its saves in `saving(user, comment)`.
Each kind of content registers here what its revisions keep (`register`): the fields compared,
the fields restoring brings back, and which of them are compared line by line. Posts are
registered in blog/models.py, pages in pages/models.py.
"""

import difflib
from contextlib import contextmanager

import reversion
from django.utils import timezone
from reversion.models import Version

# A post's revisions (registered in blog/models.py).
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
RESTORED_FIELDS = ["title", "summary", "body", "tags"]
LINE_FIELDS = {"summary", "body"}


class Revised:
    """What the revisions of one model keep, compare and restore."""

    def __init__(self, model, *, revised, restored, lines, stored=()):
        self.model = model
        self.revised = list(revised)
        self.restored = list(restored)
        self.lines = set(lines)
        self.stored = [*self.revised, *stored]


_registry = {}


def register(model, *, revised, restored, lines, stored=()):
    """Keep a revision of `model` on every save made inside `saving()`."""
    kind = Revised(model, revised=revised, restored=restored, lines=lines, stored=stored)
    reversion.register(model, fields=kind.stored)
    _registry[model] = kind
    return model


def kind_of(model):
    return _registry[model]


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


def history(obj):
    """The revisions of a post or page, newest first, with who saved each."""
    return Version.objects.get_for_object(obj).select_related("revision__user")


def snapshot(version):
    """What a revision held, field by field; a relation by name (many: a sorted list of names)."""
    kind = kind_of(version.content_type.model_class())
    fields = version.field_dict
    data = {}
    for name in kind.revised:
        field = kind.model._meta.get_field(name)
        value = fields.get(field.attname)
        if field.many_to_many:
            pks = [int(pk) for pk in value or []]
            data[name] = sorted(_names(field, pks).get(pk, f"(deleted {field.related_model._meta.verbose_name} {pk})") for pk in pks)
        elif field.many_to_one:
            data[name] = None if value is None else _names(field, [value]).get(value, f"(deleted, {value})")
        else:
            data[name] = value
    return data


def _names(field, pks):
    return {obj.pk: str(obj) for obj in field.related_model._default_manager.filter(pk__in=pks)}


def compare(older, newer):
    """The differences between two revisions, as a list of changed fields.

    Each change is {"field", "label", "old", "new"} for short values, or {"field", "label",
    "lines"} for long texts (the body), whose lines are {"kind": "same" | "added" | "removed", "text"}.
    """
    kind = kind_of(newer.content_type.model_class())
    before, after = snapshot(older), snapshot(newer)
    changes = []
    for name in kind.revised:
        old, new = before[name], after[name]
        if old == new:
            continue
        label = kind.model._meta.get_field(name).verbose_name
        if name in kind.lines:
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


def restore(obj, version, user):
    """Bring back an earlier revision's writing; the result is itself a new revision."""
    kind = kind_of(type(obj))
    fields = version.field_dict
    related = {}
    for name in kind.restored:
        field = kind.model._meta.get_field(name)
        if field.many_to_many:
            related[field] = [int(pk) for pk in fields.get(field.attname, [])]
        else:
            setattr(obj, field.attname, fields[field.attname])
    obj.full_clean()
    saved_at = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")
    with saving(user, f"Restored the revision of {saved_at}."):
        obj.save()
        for field, pks in related.items():
            # A related object deleted since then (a tag) cannot come back.
            getattr(obj, field.name).set(field.related_model._default_manager.filter(pk__in=pks))
    return obj
