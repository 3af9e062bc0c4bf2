"""The client's address as this server can vouch for it.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far as
``TRUSTED_PROXY_COUNT`` proxies of our own vouch for it: each appends the address it received
the request from, so with N proxies the N-th entry from the right is the one the nearest
untrusted hop cannot forge. With no trusted proxies (the default) only REMOTE_ADDR counts.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if part.strip()]
    if len(forwarded) < hops:
        # Our own proxies did not all add to the header: fall back to the hop we can see, so
        # that a misconfiguration throttles more rather than trusting a forged value.
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
