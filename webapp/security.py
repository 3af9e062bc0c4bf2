"""Security middleware: response headers (a strict Content-Security-Policy and friends) and
session lifetimes enforced on the server (idle and absolute, ASVS 3.3.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from webapp.accounts.addresses import client_address
from webapp.accounts.services import session_expire_record

# No inline script anywhere (json_script blocks are data, not script). bpmn-js and Chart.js
# set style attributes on the elements they draw, hence style-src-attr alone is relaxed.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
])
# drf-spectacular's Swagger UI loads its bundle from a public CDN and starts it with an inline
# script. It is a development aid: served only with DEBUG on, under this looser policy.
DOCS_VIEW = "api:docs"
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = "; ".join([
    "default-src 'self'",
    f"script-src 'self' 'unsafe-inline' {DOCS_CDN}",
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN}",
    f"img-src 'self' data: {DOCS_CDN}",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
])
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=()")

SESSION_STARTED = "_dw_auth_at"
SESSION_SEEN = "_dw_seen_at"
SEEN_RESOLUTION = 60  # seconds: at most one session write a minute for the idle clock


class SecurityHeadersMiddleware:
    """Adds CSP, Referrer-Policy, nosniff, Permissions-Policy and COOP to every response (a view
    that sets its own value keeps it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        docs = match is not None and match.view_name == DOCS_VIEW
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> None:
        if request.resolver_match.view_name == DOCS_VIEW and not settings.DEBUG:
            raise Http404("The interactive API documentation is served in development only.")


def session_stamp(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Receiver for ``user_logged_in``: start both session clocks."""
    if getattr(request, "session", None) is None:
        return
    now = timezone.now().timestamp()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


class SessionExpiryMiddleware:
    """Signs out a session idle for SESSION_IDLE_SECONDS or older than SESSION_ABSOLUTE_SECONDS,
    on the server: the cookie's expiry is only advice to the browser. A signed-in session
    without the stamps (made before this control existed) is treated as expired."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = timezone.now().timestamp()
            reason = self._expired(session, now)
            if reason:
                return self._sign_out(request, reason)
            if now - session[SESSION_SEEN] >= SEEN_RESOLUTION:
                session[SESSION_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _expired(session: Any, now: float) -> str:
        started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
        if started is None or seen is None:
            return "unstamped"
        if now - started > settings.SESSION_ABSOLUTE_SECONDS:
            return "absolute"
        if now - seen > settings.SESSION_IDLE_SECONDS:
            return "idle"
        return ""

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        session_expire_record(user=request.user, address=client_address(request), reason=reason)
        logout(request)
        if request.path_info.startswith("/api/"):
            return self.get_response(request)  # carry on signed out: the API answers 401
        messages.info(request, _notice(reason))
        if request.method in {"GET", "HEAD"}:
            return redirect_to_login(request.get_full_path())
        # A form posted after expiry is not replayed: sign-in returns to the page it was on.
        came_from = _local_referer(request)
        return redirect_to_login(came_from) if came_from else redirect(settings.LOGIN_URL)


def _local_referer(request: HttpRequest) -> str:
    """The path (and query) of the page a request came from, if it is one of ours."""
    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return ""
    parts = urlsplit(referer)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return "" if path.startswith(str(resolve_url(settings.LOGIN_URL))) else path


def _notice(reason: str) -> str:
    if reason == "unstamped":
        return "Your session has ended. Sign in again to carry on."
    if reason == "absolute":
        hours = settings.SESSION_ABSOLUTE_SECONDS // 3600
        return f"You have been signed out because you signed in more than {hours} hours ago. " \
               "Sign in again to carry on."
    minutes = settings.SESSION_IDLE_SECONDS // 60
    return f"You have been signed out after {minutes} minutes without activity. " \
           "Sign in again to carry on."


class NulCharacterMiddleware:
    """Refuse requests whose query or form values contain NUL: PostgreSQL cannot store or
    search them, and no person types one (a clear 400 rather than a server error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params = [*request.GET.lists()]
        if request.method == "POST" and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            params += [*request.POST.lists()]
        if "\x00" in request.path or any("\x00" in k or any("\x00" in v for v in values)
                                         for k, values in params):
            detail = "The request contains a NUL character; remove it and try again."
            if request.path.startswith("/api/"):
                return JsonResponse({"type": "about:blank", "title": "Bad request",
                                     "status": 400, "code": "invalid", "detail": detail},
                                    status=400, content_type="application/problem+json")
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


PAGE_METHODS = ("GET", "HEAD", "POST")
API_PREFIX = "/api/"


class PageMethodsMiddleware:
    """Pages answer GET, HEAD and POST only: function views would otherwise render a page for
    TRACE, OPTIONS or any verb. The API's class-based views refuse what they do not handle
    themselves (405 problem+json), so TRACE is refused there too but OPTIONS is left to DRF."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        method = (request.method or "").upper()
        if request.path_info.startswith(API_PREFIX) or method in PAGE_METHODS:
            return self.get_response(request)
        return HttpResponseNotAllowed(PAGE_METHODS, f"{method} is not allowed here.",
                                      content_type="text/plain; charset=utf-8")
