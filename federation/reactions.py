"""Likes and boosts (Announce) of our posts: counted once per actor, undone by Undo."""

from federation.inbox import UNDO_HANDLERS, handles, object_id
from federation.models import Reaction
from federation.replies import find_post

KINDS = {"Like": Reaction.Kind.LIKE, "Announce": Reaction.Kind.ANNOUNCE}


@handles("Like", "Announce")
def react(activity, actor):
    post = find_post(object_id(activity.get("object")))
    if post is None:
        return f"ignored: not a {activity['type']} of a post of this blog"
    _, created = Reaction.objects.get_or_create(
        post=post, actor=actor, kind=KINDS[activity["type"]],
        defaults={"activity_id": activity["id"]},
    )
    return f"{activity['type'].lower()} counted" if created else f"{activity['type'].lower()} counted before"


def undo(undone_id, undone, actor):
    found = Reaction.objects.filter(actor=actor, activity_id=undone_id)
    if not found.exists() and isinstance(undone, dict) and undone.get("type") in KINDS:
        post = find_post(object_id(undone.get("object")))
        found = Reaction.objects.filter(actor=actor, post=post, kind=KINDS[undone["type"]])
    reactions = list(found)
    for reaction in reactions:
        reaction.delete()  # one by one: each deletion refreshes its post's page
    return "reaction undone" if reactions else ""


UNDO_HANDLERS.append(undo)
