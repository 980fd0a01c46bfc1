from django.conf import settings

from webmention.receiving import endpoint_url


class WebmentionLinkMiddleware:
    """Advertises the endpoint in a `Link` header on post pages (the Recommendation's
    first place to look), the same header for every reader."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            settings.WEBMENTION_ENABLED
            and response.status_code == 200
            and match is not None
            and match.view_name == "blog:post-detail"
        ):
            link = f'<{endpoint_url()}>; rel="webmention"'
            response["Link"] = f"{response['Link']}, {link}" if response.has_header("Link") else link
        return response
