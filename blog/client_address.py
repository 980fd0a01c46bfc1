"""The address of the client that sent a request: the one place that decides it.

Rate limits, flood control and the IP stored with a comment all use this. A client can
put anything in X-Forwarded-For, so the header is believed only when settings say how
many trusted proxies stand in front (TRUSTED_PROXY_COUNT); then the address that the
outermost trusted proxy saw is taken, and entries a client added to the left are ignored.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    address = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
