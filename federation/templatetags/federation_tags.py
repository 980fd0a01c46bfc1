"""What the post page shows of the fediverse: the link to its ActivityPub JSON, and how
many fediverse accounts liked and boosted it."""

from django import template
from django.conf import settings

import pagecache
from federation import documents
from federation.models import Reaction

register = template.Library()


@register.inclusion_tag("federation/_alternate.html")
def activitypub_alternate(post):
    """The <link rel="alternate"> to a published post's Article, while ActivityPub is on."""
    if not settings.ACTIVITYPUB_ENABLED or not post.is_published:
        return {"href": ""}
    return {"href": documents.article_id(post.pk)}


@register.inclusion_tag("federation/_reactions.html", takes_context=True)
def fediverse_reactions(context, post):
    """Likes and boosts from the fediverse, kept with the thread's version (a Reaction
    bumps it: pagecache/refresh.py), so a kept thread costs no query here."""
    if not settings.ACTIVITYPUB_ENABLED:
        return {"counts": None}
    request = context.get("request")
    counts = pagecache.fragment(
        request, f"fediverse-reactions:{post.pk}", [pagecache.thread(post.pk)],
        lambda: Reaction.objects.counts_for(post),
    )
    return {"counts": counts}
