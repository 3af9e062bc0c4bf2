"""Single sign-on against a real OpenID provider (panva's oidc-provider, started by the tests):
the whole authorization-code flow through the sign-in page's button, the provider's sign-in
form and the callback, with RS256 ID tokens carrying Entra ID's ``oid`` and ``groups``."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.oidc.fixtures import (  # noqa: F401 (fixtures)
    CASE_OFFICERS,
    CLIENT_ID,
    DECIDERS,
    PASSWORD,
    provider_issuer,
    sso_force,
)
from webapp.accounts.models import AuthEvent, AuthEventKind
from webapp.forces.models import Force, Membership
from webapp.oidc import provider

REFUSED = "You could not be signed in with your force account"
NO_ROLE = "Your account has no role in this service"


def sign_in(base: str, login: str, password: str = PASSWORD) -> tuple[requests.Session, Any]:
    """Press "Sign in with your force account", sign in on the provider's own form, and come
    back through the callback."""
    browser, back = provider_sign_in(base, login, password)
    if not isinstance(back, str):
        return browser, back  # the provider did not send the browser back
    return browser, browser.get(back, timeout=20)


def provider_sign_in(base: str, login: str, password: str = PASSWORD) -> tuple[
        requests.Session, Any]:
    """As far as the provider's redirect back to this service: its callback URL (or the
    provider's answer when it does not redirect back)."""
    browser = requests.Session()
    page = browser.get(f"{base}/login/", timeout=10)
    button = re.search(r'<a href="([^"]+)"[^>]*id="sso-sign-in"[^>]*>([^<]+)</a>', page.text)
    assert button is not None, "no single sign-on button on the sign-in page"
    assert button.group(2) == "Sign in with your force account"
    form = browser.get(base + button.group(1).replace("&amp;", "&"), timeout=10)
    assert "Test identity provider" in form.text  # at the provider now
    answer = browser.post(form.url, data={"login": login, "password": password}, timeout=20,
                          allow_redirects=False)
    while answer.is_redirect:
        location = requests.compat.urljoin(answer.url, answer.headers["Location"])
        if location.startswith(f"{base}/sso/callback/"):
            return browser, location
        answer = browser.get(location, timeout=20, allow_redirects=False)
    return browser, answer


def test_a_person_signs_in_with_their_force_account_and_lands_on_their_start_page(
        live_server: Any, sso: Force) -> None:
    # when
    browser, page = sign_in(live_server.url, "ann")
    # then: created with the roles and team the provider's groups map to
    assert page.status_code == 200
    assert page.url == f"{live_server.url}/my-tasks/"
    assert "Case officer" in page.text and "Ann Archer" in page.text
    member = Membership.objects.select_related("user", "team").get(sso_subject="8d2c-ann")
    assert member.force == sso and member.roles == ["case_officer"]
    assert member.team is not None and member.team.name == "Safeguarding"
    assert member.user.username == "ann.archer@herts.example"
    assert not member.user.has_usable_password()
    # the session is marked as vouched for by the provider (no local second factor)
    session = Session.objects.get(pk=browser.cookies["sessionid"]).get_decoded()
    assert session["auth_method"] == "oidc"
    assert "oidc_access_token" not in session and "oidc_id_token" not in session
    assert AuthEvent.objects.filter(kind=AuthEventKind.SSO_SUCCESS, user=member.user).exists()


def test_roles_follow_the_groups_at_each_sign_in(live_server: Any, sso: Force) -> None:
    # given: Dee has signed in as a decision maker
    _, page = sign_in(live_server.url, "dee")
    assert page.url == f"{live_server.url}/queue/"
    assert "Dee Dexter" in page.text
    # when: the force maps Dee's group to case officers instead
    sso.sso_group_roles = {DECIDERS: "case_officer"}
    sso.save()
    _, page = sign_in(live_server.url, "dee")
    # then: the same user, with the new role only
    assert page.url == f"{live_server.url}/my-tasks/"
    assert Membership.objects.get(sso_subject="8d2c-dee").roles == ["case_officer"]
    assert get_user_model().objects.filter(username__startswith="dee").count() == 1


def test_a_person_whose_groups_give_no_role_is_told_to_ask_their_administrator(
        live_server: Any, sso: Force) -> None:
    browser, page = sign_in(live_server.url, "bob")
    assert page.status_code == 403
    assert NO_ROLE in page.text and "Ask your force administrator" in page.text
    assert not Membership.objects.filter(sso_subject="8d2c-bob").exists()
    # and no way in
    after = browser.get(f"{live_server.url}/my-tasks/", timeout=10)
    assert after.url.startswith(f"{live_server.url}/login/")
    assert AuthEvent.objects.filter(kind=AuthEventKind.SSO_NO_ROLE).count() == 1


def test_a_person_who_lost_their_role_loses_access(live_server: Any, sso: Force) -> None:
    sign_in(live_server.url, "dee")
    sso.sso_group_roles = {CASE_OFFICERS: "case_officer"}  # Dee's group no longer mapped
    sso.save()
    _, page = sign_in(live_server.url, "dee")
    assert page.status_code == 403 and NO_ROLE in page.text
    assert Membership.objects.get(sso_subject="8d2c-dee").roles == []


def test_tokens_from_an_issuer_no_force_trusts_are_refused(live_server: Any,
                                                           sso: Force) -> None:
    sso.sso_issuer = "https://login.microsoftonline.com/another-tenant/v2.0"
    sso.save()
    browser, page = sign_in(live_server.url, "ann")
    assert page.status_code == 403 and REFUSED in page.text
    assert not Membership.objects.filter(sso_subject="8d2c-ann").exists()
    after = browser.get(f"{live_server.url}/my-tasks/", timeout=10)
    assert after.url.startswith(f"{live_server.url}/login/")


def test_an_expired_id_token_is_refused(live_server: Any, sso: Force,
                                        caplog: pytest.LogCaptureFixture) -> None:
    # when: the callback reaches this server two hours after the provider signed the token
    browser, back = provider_sign_in(live_server.url, "ann")
    with caplog.at_level(logging.INFO), time_machine.travel(
            timezone.now() + timedelta(hours=2), tick=True):
        page = browser.get(back, timeout=20)
    # then
    assert page.status_code == 403 and REFUSED in page.text
    assert "sso token refused: ExpiredSignatureError" in caplog.text
    assert not Membership.objects.filter(sso_subject="8d2c-ann").exists()
    assert AuthEvent.objects.filter(kind=AuthEventKind.SSO_FAILURE).count() == 1


@pytest.fixture
def tampering_proxy(sso: Force, settings: Any) -> Iterator[list[str]]:
    """Stands between this server and the provider's token endpoint and adds a group to the
    ID token's claims, keeping the provider's signature (as an attacker on the path would)."""
    real = provider.discovered()["token_endpoint"]
    tokens: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server protocol)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = requests.post(real, data=body, timeout=10, headers={
                "Content-Type": self.headers["Content-Type"]}).json()
            header, claims, signature = answer["id_token"].split(".")
            decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
            decoded["groups"] = [*decoded.get("groups", []), DECIDERS]
            forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=")
            answer["id_token"] = f"{header}.{forged.decode()}.{signature}"
            tokens.extend([answer["id_token"], answer.get("access_token", "")])
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{server.server_port}/token"
    yield tokens
    server.shutdown()
    server.server_close()


def test_a_tampered_id_token_is_refused_and_not_logged(
        live_server: Any, sso: Force, tampering_proxy: list[str],
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _, page = sign_in(live_server.url, "ann")
    assert tampering_proxy, "the token never went through the proxy"
    assert page.status_code == 403 and REFUSED in page.text
    assert not Membership.objects.filter(sso_subject="8d2c-ann").exists()
    assert AuthEvent.objects.filter(kind=AuthEventKind.SSO_FAILURE).count() == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "reason=bad_token" in logged
    assert "sso token refused: InvalidSignatureError" in logged
    for secret in [t for t in tampering_proxy if t] + ["ann.archer", "8d2c-ann"]:
        assert secret not in logged


def test_a_wrong_password_at_the_provider_signs_nobody_in(live_server: Any,
                                                          sso: Force) -> None:
    _, page = sign_in(live_server.url, "ann", password="wrong")  # noqa: S106
    assert page.status_code == 401 and "Wrong username or password" in page.text
    assert not Membership.objects.filter(sso_subject="8d2c-ann").exists()


def test_sso_sessions_end_after_the_same_idle_time_as_any_other(
        live_server: Any, sso: Force, settings: Any) -> None:
    browser, page = sign_in(live_server.url, "ann")
    assert page.url == f"{live_server.url}/my-tasks/"
    with time_machine.travel(timezone.now() + timedelta(
            seconds=settings.SESSION_IDLE_SECONDS + 120), tick=True):
        later = browser.get(f"{live_server.url}/my-tasks/", timeout=10)
    assert later.url.startswith(f"{live_server.url}/login/")
    assert "without activity" in later.text


@pytest.mark.django_db
def test_without_a_client_id_there_is_no_sso_button_and_no_route(client: Any,
                                                                   settings: Any) -> None:
    settings.OIDC_RP_CLIENT_ID = ""
    page = client.get("/login/")
    assert "Sign in with your force account" not in page.content.decode()
    assert client.get("/sso/start/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


def test_a_replayed_callback_signs_nobody_in(live_server: Any, sso: Force,
                                             caplog: pytest.LogCaptureFixture) -> None:
    # given: Ann signed in through the callback, then signed out
    browser, back = provider_sign_in(live_server.url, "ann")
    assert browser.get(back, timeout=20).url == f"{live_server.url}/my-tasks/"
    browser.post(f"{live_server.url}/logout/", timeout=10, headers={
        "X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{live_server.url}/"})
    # when: the same callback address (code and state) is sent again
    with caplog.at_level(logging.INFO):
        page = browser.get(back, timeout=20)
    # then
    assert page.status_code == 403 and REFUSED in page.text
    assert "reason=state_mismatch" in caplog.text
    after = browser.get(f"{live_server.url}/my-tasks/", timeout=10)
    assert after.url.startswith(f"{live_server.url}/login/")


@pytest.mark.django_db
def test_an_unreachable_provider_is_said_plainly(client: Any, settings: Any) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_OP_ISSUER = f"http://127.0.0.1:{port}"
    provider.discovery_forget()
    page = client.get("/sso/start/")
    assert page.status_code == 503
    assert "Your force&#x27;s sign-in service cannot be reached" in page.content.decode()
    assert AuthEvent.objects.filter(kind=AuthEventKind.SSO_FAILURE).count() == 1
