"""ActivityPub's addresses: WebFinger, NodeInfo, the actor and its collections, the
inboxes, and the JSON of posts and comments. All answer 404 while ACTIVITYPUB_ENABLED is off.
Inboxes take POST alone, everything else GET and HEAD alone (405 otherwise): a DELETE or a
PUT answered as if it were a GET would tell its sender it had done something.

Browsers asking an actor for HTML are sent to the blog's home page; the JSON ids of posts
and comments are addresses of their own, so the HTML pages never vary on Accept.
"""

import functools
import logging
import re

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from blog.models import Post
from blog.site import site_settings
from comments.models import Comment
from federation import accounts, documents, inbox, remote
from federation.models import Follower

logger = logging.getLogger(__name__)



def activitypub_only(view):
    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if not settings.ACTIVITYPUB_ENABLED:
            raise Http404("ActivityPub is turned off.")
        return view(request, *args, **kwargs)

    return checked


def activity_json(document, *, status=200, content_type=documents.ACTIVITY_JSON):
    response = JsonResponse(document, status=status, content_type=content_type,
                            json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def wants_json(request):
    """Whether the client asks for ActivityPub JSON rather than a page."""
    accept = request.headers.get("Accept", "").lower()
    return any(kind in accept for kind in remote.JSON_TYPES)


def _local_actor(username):
    """(LocalActor, author or None) for `username`, or 404."""
    found = accounts.local_actor(username)
    if found is None:
        raise Http404("No such actor.")
    return found


_ACCT = re.compile(r"^(?:acct:)?@?([^@\s]+)@([^@\s]+)$", re.IGNORECASE)


@activitypub_only
@require_safe
def webfinger(request):
    resources = request.GET.getlist("resource")
    if len(resources) > 1:
        # Django would answer for the last; which one the sender meant is anyone's guess.
        return JsonResponse({"error": "Ask for one resource at a time."}, status=400)
    resource = resources[0] if resources else ""
    if not resource:
        return JsonResponse({"error": "The resource parameter is required."}, status=400)
    username = None
    match = _ACCT.match(resource)
    if match and match.group(2).lower() == documents.site_host().lower():
        username = match.group(1)
    elif resource == documents.actor_id(settings.ACTIVITYPUB_BLOG_USERNAME):
        username = settings.ACTIVITYPUB_BLOG_USERNAME
    if username == settings.ACTIVITYPUB_BLOG_USERNAME:
        document = documents.webfinger(username)
    elif username is not None and accounts.author(username) is not None:
        document = documents.webfinger(
            username, profile_page=documents.absolute(reverse("blog:author-detail", args=[username]))
        )
    else:
        return JsonResponse({"error": "No such account here."}, status=404)
    return activity_json(document, content_type="application/jrd+json")


@activitypub_only
@require_safe
def nodeinfo_links(request):
    return JsonResponse({"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
        "href": documents.absolute(reverse("federation:nodeinfo")),
    }]})


@activitypub_only
@require_safe
def nodeinfo(request):
    posts = Post.objects.published().count()
    return JsonResponse(
        {
            "version": "2.1",
            "software": {"name": "notes-blog", "version": "1.0",
                         "homepage": documents.absolute(reverse("blog:post-index"))},
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
            "openRegistrations": False,
            "usage": {"users": {"total": 1}, "localPosts": posts},
            "metadata": {"nodeName": site_settings().name},
        },
        content_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
    )


@activitypub_only
@require_safe
def actor(request, username):
    local, user = _local_actor(username)
    if not wants_json(request):
        return redirect("blog:author-detail", username=username) if user else redirect("blog:post-index")
    response = activity_json(documents.actor(local, user=user))
    response["Vary"] = "Accept"
    return response


@activitypub_only
@require_safe
def outbox(request, username):
    _, user = _local_actor(username)
    published = Post.objects.published()
    if user is not None:
        published = published.filter(author=user)
    posts = list(published.select_related("author").prefetch_related("tags")[:20])
    items = []
    for post in posts:
        article = documents.article(post, username=accounts.publisher(post))
        items.append(documents.activity(
            "Create", activity_id=f"{article['id']}#create", username=username, obj=article,
            to=article["to"], cc=article["cc"],
        ))
    total = published.count()
    collection_id = documents.absolute(reverse("federation:outbox", args=[username]))
    return activity_json(documents.ordered_collection(collection_id, total=total, items=items))


@activitypub_only
@require_safe
def followers(request, username):
    """How many follow the blog; who they are is theirs to tell (as Mastodon does)."""
    local, _ = _local_actor(username)
    total = Follower.objects.filter(local_actor=local).count()
    return activity_json(documents.ordered_collection(documents.followers_id(username), total=total))


@activitypub_only
@require_safe
def article(request, pk):
    post = get_object_or_404(Post.objects.published().select_related("author").prefetch_related("tags"), pk=pk)
    if not wants_json(request):
        return redirect(post.get_absolute_url())
    document = {"@context": documents.CONTEXT[0],
                **documents.article(post, username=accounts.publisher(post))}
    return activity_json(document)


@activitypub_only
@require_safe
def note(request, pk):
    comment = get_object_or_404(
        Comment.objects.visible().filter(post__in=Post.objects.published()).select_related("parent"),
        pk=pk, origin=Comment.Origin.FORM,
    )
    if not wants_json(request):
        return redirect(comment.get_absolute_url())
    document = {"@context": documents.CONTEXT[0],
                **documents.note(comment, username=settings.ACTIVITYPUB_BLOG_USERNAME)}
    return activity_json(document)


@csrf_exempt
@activitypub_only
def inbox_view(request, username=None):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if username is not None and accounts.local_actor(username) is None:
        # Servers read the reason of a refused delivery as JSON, like the inbox's others.
        return JsonResponse({"error": "No such actor."}, status=404)
    try:
        outcome = inbox.accept(request)
    except inbox.Refusal as refusal:
        logger.info("Refused an activity (%s): %s", refusal.status, refusal.reason)
        response = JsonResponse({"error": refusal.reason}, status=refusal.status)
        if refusal.retry_after:
            response["Retry-After"] = str(refusal.retry_after)
        return response
    return HttpResponse(outcome, status=202, content_type="text/plain; charset=utf-8")
