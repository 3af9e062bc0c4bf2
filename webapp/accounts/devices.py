"""Trusted devices (OWASP "device cookies"): a browser that has signed in to an account gets a
signed cookie naming it, and later attempts on that account from that browser are not held up
by the slowdown of their client address. A guesser at the same address, without the cookie,
still is; and every attempt still counts towards the account's own lockout."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

COOKIE = "dw_device"
SALT = "webapp.accounts.devices"
LIFETIME = timedelta(days=30)
KEEP = 5  # a shared terminal remembers the last few accounts signed in on it


def trusted_accounts(request: HttpRequest) -> list[str]:
    """The account keys this browser has signed in to (within LIFETIME), newest first."""
    raw = request.COOKIES.get(COOKIE, "")
    if not raw:
        return []
    try:
        keys = signing.loads(raw, salt=SALT, max_age=LIFETIME)
    except signing.BadSignature:
        return []
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def device_remember(request: HttpRequest, response: HttpResponse, account_key: str) -> None:
    """After a successful sign-in: add the account to this browser's trusted list."""
    keys = [account_key, *[k for k in trusted_accounts(request) if k != account_key]][:KEEP]
    response.set_cookie(COOKIE, signing.dumps(keys, salt=SALT),
                        max_age=int(LIFETIME.total_seconds()), path=reverse("login"),
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
