"""Rate limits per client: how many requests of a kind one client may send in a period.

The client is the address from blog/client_address.py (so a forged X-Forwarded-For counts
against the sender's real address), and an IPv6 client is its /64 network, since anyone
who has one address there has billions more. Counters are fixed windows in the default
cache: shared by every process when REDIS_URL is set. If the cache fails the request is
allowed: an outage of Redis must not take the site down.

The limits live in settings.RATE_LIMITS, e.g. {"comment-post": "10/10m"}.
"""

import ipaddress
import math
import re
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from blog.client_address import client_ip

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate):
    """'10/10m' -> (10, 600): at most 10 requests in 600 seconds."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"A rate looks like '10/10m' (count / period in s, m or h), not {rate!r}.")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _SECONDS[unit]


def client_key(request):
    """The address a limit is counted against: the IPv4 address, or the IPv6 /64."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def hit(group, request):
    """Count one request of `group` from this client.

    Returns None while the client is within the limit, else how many seconds until the
    current window ends and it may try again.
    """
    return hit_key(group, client_key(request))


def hit_key(group, name):
    """hit() for something other than a client: `name` (a remote host, say) is counted."""
    count, period = parse_rate(settings.RATE_LIMITS[group])
    now = time.time()
    window = int(now // period)
    key = f"ratelimit:{group}:{name}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        used = cache.incr(key)
    except ValueError:
        # The counter expired between add() and incr(): this is the window's first hit.
        cache.set(key, 1, timeout=period + 1)
        used = 1
    if used is None or used <= count:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def too_many_requests(request, retry_after):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(group, *, methods=("POST",), exempt=None):
    """Decorate a view so each client gets settings.RATE_LIMITS[group]; then 429.

    Only requests with one of `methods` are counted. `exempt(request)` may spare some
    users (e.g. moderators) from counting at all.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and not (exempt and exempt(request)):
                retry_after = hit(group, request)
                if retry_after is not None:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
