"""The two ends of single sign-on: "Sign in with your force account" sends the browser to the
force's identity provider (with state, nonce and PKCE kept in the session), and the callback
signs the person in or shows, in plain words, why not. Every outcome is in the authentication
record (``AuthEvent``) like a local sign-in, without tokens or claims.

A session signed in here is marked ``auth_method = "oidc"`` (``webapp.accounts.auth_method``):
the provider applied the force's own multi-factor policy, so the local second factor is not
asked for. The session then follows the same idle and absolute limits as any other.
"""

from __future__ import annotations

from typing import Any

import requests
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from webapp.accounts.addresses import client_address
from webapp.accounts.auth_method import OIDC, auth_method_set
from webapp.accounts.models import AuthEventKind
from webapp.accounts.services import sso_record
from webapp.oidc import provider, refusal

NO_ROLE_PAGE = ("Your account has no role in this service", (
    "You signed in with your force account, but it is not in any group that gives a role in "
    "this service, so you cannot use it yet.",
    "Ask your force administrator to give you a role. Nothing was changed."))
REFUSED_PAGE = ("You could not be signed in with your force account", (
    "Your force's sign-in service did not confirm who you are, so you have not been signed in.",
    "Try again. If it happens again, tell your force administrator and quote the reference "
    "below."))
UNREACHABLE_PAGE = ("Your force's sign-in service cannot be reached", (
    "The service could not reach your force's sign-in service just now. Nothing was changed.",
    "Try again in a few minutes."))


class SsoStart(OIDCAuthenticationRequestView):
    get_settings = staticmethod(provider.setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not provider.enabled():
            raise Http404("Single sign-on is not set up here.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, ImproperlyConfigured) as exc:
            sso_record(kind=AuthEventKind.SSO_FAILURE, address=client_address(request),
                       reason=f"{refusal.UNREACHABLE}:{type(exc).__name__}")
            return _page(request, 503, UNREACHABLE_PAGE)
        self.OIDC_RP_CLIENT_ID = provider.setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SsoCallback(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(provider.setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not provider.enabled():
            raise Http404("Single sign-on is not set up here.")
        state = request.GET.get("state")
        if "code" in request.GET and state not in request.session.get("oidc_states", {}):
            # Not a sign-in this browser started (or one already finished): a replay.
            request.sso_refusal = refusal.STATE  # type: ignore[attr-defined]
            return self.login_failure()
        try:
            return super().get(request)
        except SuspiciousOperation:
            request.sso_refusal = refusal.STATE  # type: ignore[attr-defined]
            return self.login_failure()

    def login_success(self) -> HttpResponse:
        response = super().login_success()  # signs in: the session key is rotated here
        self.request.session.pop("oidc_id_token_expiration", None)  # no token refresh in use
        auth_method_set(self.request.session, OIDC)
        sso_record(kind=AuthEventKind.SSO_SUCCESS, address=client_address(self.request),
                   user=self.user)
        return response

    def login_failure(self) -> HttpResponse:
        request = self.request
        reason = getattr(request, "sso_refusal", "")
        user = getattr(request, "sso_refusal_user", None)
        if not reason:
            signed = getattr(self, "user", None)
            reason = (refusal.PROVIDER_ERROR if request.GET.get("error")
                      else refusal.INACTIVE if signed is not None else refusal.FAILED)
            user = signed
        address = client_address(request)
        if reason == refusal.NO_ROLE:
            sso_record(kind=AuthEventKind.SSO_NO_ROLE, address=address, user=user)
            return _page(request, 403, NO_ROLE_PAGE)
        sso_record(kind=AuthEventKind.SSO_FAILURE, address=address, user=user, reason=reason)
        if reason == refusal.UNREACHABLE:
            return _page(request, 503, UNREACHABLE_PAGE)
        return _page(request, 403, REFUSED_PAGE)


def _page(request: HttpRequest, status: int, page: tuple[str, tuple[str, ...]]) -> HttpResponse:
    title, paragraphs = page
    context = {"title": title, "paragraphs": paragraphs, "status": status,
               "reference": getattr(request, "correlation_id", "") if page is REFUSED_PAGE
               else "",
               "way_on": {"href": reverse("login"), "text": "Back to sign in"}}
    return HttpResponse(render_to_string("failure.html", context, request=request),
                        status=status, content_type="text/html; charset=utf-8")
