from django import template
from django.conf import settings

from webmention.receiving import endpoint_url

register = template.Library()


@register.simple_tag
def webmention_endpoint():
    """The endpoint's address for <link rel="webmention">, or "" when turned off."""
    return endpoint_url() if settings.WEBMENTION_ENABLED else ""
