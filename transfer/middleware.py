from django.http import HttpResponsePermanentRedirect

from transfer import legacy


class LegacyURLMiddleware:
    """Old links to imported posts and pages answer with a 301 to their address here.

    WordPress's `/?p=123` is the home page's address with a query, which our home page would
    answer with 200, so it is checked before any view. Old paths (`/2013/04/slug.html`,
    `/2015/01/27/slug/`) are looked up only when nothing here answers them (a 404), so
    pages that exist never pay for a lookup.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.GET:
            path = legacy.query_path(request)
            if path:
                post = legacy.find_target([path])
                if post is not None:
                    return HttpResponsePermanentRedirect(legacy.target_url(post, request))
        response = self.get_response(request)
        if response.status_code == 404 and request.method in ("GET", "HEAD"):
            post = legacy.find_target(legacy.candidate_paths(request.path))
            if post is not None:
                return HttpResponsePermanentRedirect(legacy.target_url(post, request))
        return response
