from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from blog.ratelimit import rate_limit
from webmention import receiving


def _text(message, status):
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # other sites' servers post here: a Webmention is cross-site by design
@never_cache
def endpoint(request):
    """The Webmention endpoint: 202 and a check later, or 400 saying what is wrong."""
    if not settings.WEBMENTION_ENABLED:
        raise Http404("Webmentions are turned off.")
    if request.method != "POST":
        response = _text("Send a Webmention here: POST source and target, form-encoded.", 405)
        response["Allow"] = "POST"
        return response
    return _receive(request)


# The Recommendation's senders post form-encoded; a multipart form says the same.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@rate_limit("webmention")
def _receive(request):
    if request.content_type not in FORM_TYPES:
        return _text("Send source and target form-encoded (application/x-www-form-urlencoded).", 415)
    if len(request.POST.getlist("source")) > 1 or len(request.POST.getlist("target")) > 1:
        # Which of them was meant? Taking the last, as QueryDict.get() does, is a guess.
        return _text("Send one source and one target.", 400)
    source = request.POST.get("source", "").strip()
    target = request.POST.get("target", "").strip()
    try:
        post = receiving.check(source, target)
        receiving.accept(source, target, post)
    except receiving.Invalid as error:
        return _text(str(error), 400)
    except receiving.TooMany as error:
        response = _text("Too many Webmentions from this source's site lately; try again later.", 429)
        response["Retry-After"] = str(error.retry_after)
        return response
    return _text("Accepted: the source will be checked, then the mention moderated.", 202)
