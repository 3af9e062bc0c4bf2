"""Local accounts give a second factor after the password: a code from an authenticator app
(TOTP, django-otp) set up on the first sign-in, or a single-use recovery code."""

from __future__ import annotations

import re
from base64 import b32decode
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from tests import factories
from webapp.accounts import second_factor, services
from webapp.accounts.models import AuthEvent, AuthEventKind

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
HOME = "/my-tasks/"
CODE_PAGE = "/login/code/"
SET_UP = "/login/set-up-app/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice():
    return factories.officer("alice", factories.force(), "case_officer")


def password(client: Client, username: str = "alice", next_page: str = ""):
    data = {"username": username, "password": factories.PASSWORD}
    if next_page:
        data["next"] = next_page
    return client.post("/login/", data)


def code_from_page(html: str) -> str:
    """What a person's app shows after they typed in the setup key the page shows."""
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    return f"{TOTP(b32decode(secret)).token():06d}"


def test_first_sign_in_sets_up_the_app_then_shows_recovery_codes_once(client, alice, clock):
    assert password(client, next_page="/cases/").url == "/cases/"

    held = client.get("/cases/")
    assert held.status_code == 302 and held.url == f"{SET_UP}?next=%2Fcases%2F"
    page = client.get(held.url).content.decode()
    assert "Set up your authenticator app" in page
    qr = re.search(r'<img class="second-factor__qr" src="([^"]+)"', page).group(1)
    assert qr.startswith("data:image/svg+xml")  # drawn here: no request leaves for a QR service
    assert "http" not in qr.split(",", 1)[0]

    done = client.post(SET_UP, {"code": code_from_page(page), "next": "/cases/"})

    html = done.content.decode()
    assert "Your authenticator app is set up" in html
    assert "This is the only time these codes are shown" in html
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)
    assert len(codes) == second_factor.RECOVERY_CODE_COUNT
    assert client.get("/cases/").status_code == 200
    assert AuthEvent.objects.filter(kind=AuthEventKind.ENROLLED, user=alice).exists()
    assert not any(code in client.get("/account/").content.decode() for code in codes)


def test_a_wrong_code_at_set_up_keeps_the_same_secret_and_says_what_to_do(client, alice, clock):
    password(client)
    first = client.get(SET_UP).content.decode()

    wrong = client.post(SET_UP, {"code": "000000"})

    assert "The code is not right" in wrong.content.decode()
    assert code_from_page(wrong.content.decode()) == code_from_page(first)
    assert client.get(HOME).status_code == 302
    assert "Enter the 6-digit code" in client.post(SET_UP, {"code": ""}).content.decode()


def test_a_person_with_an_app_must_give_its_code_before_any_page(client, alice, clock):
    device = factories.authenticator(alice)
    password(client)

    held = client.get(HOME)
    assert held.status_code == 302 and held.url == f"{CODE_PAGE}?next=%2Fmy-tasks%2F"
    assert client.get(SET_UP).url.startswith(CODE_PAGE)  # no new app without the old one
    assert "Enter the code from your authenticator app" in client.get(held.url).content.decode()

    half_signed_in = client.cookies["sessionid"].value
    given = client.post(CODE_PAGE, {"code": factories.totp_code(device), "next": HOME})

    assert given.status_code == 302 and given.url == HOME
    assert client.cookies["sessionid"].value != half_signed_in
    assert client.get(HOME).status_code == 200
    assert AuthEvent.objects.filter(kind=AuthEventKind.CODE_ACCEPTED, user=alice).exists()


def test_an_unverified_session_cannot_use_the_api_but_a_token_still_can(client, alice, clock):
    factories.authenticator(alice)
    password(client)

    refused = client.get("/api/v1/cases")

    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "second_factor_required"
    assert "authenticator app" in refused.json()["detail"]
    from webapp.api.auth import token_create

    _, secret = token_create(user=alice, name="integration")
    assert Client().get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_wrong_codes_are_refused_and_lock_like_wrong_passwords(client, alice, clock, caplog):
    caplog.set_level("DEBUG")
    device = factories.authenticator(alice)
    password(client)
    for n in range(services.ACCOUNT_LIMIT):
        wrong = client.post(CODE_PAGE, {"code": f"{n:06d}"})
        assert "The code is not right" in wrong.content.decode()

    locked = client.post(CODE_PAGE, {"code": factories.totp_code(device)})

    assert "too many wrong codes. Wait 15 minutes" in locked.content.decode()
    assert client.get(HOME).status_code == 302
    kinds = list(AuthEvent.objects.filter(kind__in=[AuthEventKind.CODE_FAILURE,
                                                    AuthEventKind.ACCOUNT_LOCKED,
                                                    AuthEventKind.REFUSED])
                 .values_list("kind", flat=True))
    assert kinds == ["code_failure"] * 5 + ["account_locked", "refused"]
    assert "alice" not in caplog.text and device.key not in caplog.text
    assert "000003" not in caplog.text

    clock.shift(timedelta(minutes=15))
    assert client.post(CODE_PAGE, {"code": factories.totp_code(device)}).status_code == 302
    assert client.get(HOME).status_code == 200


def test_signing_in_again_with_the_password_does_not_reset_the_count_of_wrong_codes(
        client, alice, clock):
    device = factories.authenticator(alice)
    for _ in range(services.ACCOUNT_LIMIT):
        password(client)
        client.post(CODE_PAGE, {"code": "999999"})
        client.post("/logout/")

    password(client)
    refused = client.post(CODE_PAGE, {"code": factories.totp_code(device)})

    assert "too many wrong codes" in refused.content.decode()
    assert client.get(HOME).status_code == 302


def test_a_recovery_code_works_once(client, alice, clock):
    password(client)
    page = client.get(SET_UP).content.decode()
    codes = re.findall(r"<code>([a-z2-7]{8})</code>",
                       client.post(SET_UP, {"code": code_from_page(page)}).content.decode())
    client.post("/logout/")

    password(client)
    assert client.post(CODE_PAGE, {"code": codes[0].upper()}).status_code == 302
    assert client.get(HOME).status_code == 200
    client.post("/logout/")

    password(client)
    again = client.post(CODE_PAGE, {"code": codes[0]})
    assert "The code is not right" in again.content.decode()
    assert client.get(HOME).status_code == 302
    assert "9 recovery codes left" not in again.content.decode()  # the page says nothing of them
    assert second_factor.recovery_codes_left(alice) == second_factor.RECOVERY_CODE_COUNT - 1


def test_new_recovery_codes_replace_the_old_ones(client, alice, clock):
    password(client)
    page = client.get(SET_UP).content.decode()
    old = re.findall(r"<code>([a-z2-7]{8})</code>",
                     client.post(SET_UP, {"code": code_from_page(page)}).content.decode())
    assert "10 recovery codes left" in client.get("/account/").content.decode()

    made = client.post("/account/recovery-codes/")

    new = re.findall(r"<code>([a-z2-7]{8})</code>", made.content.decode())
    assert "Your old recovery codes no longer work" in made.content.decode()
    assert len(new) == second_factor.RECOVERY_CODE_COUNT and not set(new) & set(old)
    client.post("/logout/")
    password(client)
    assert "The code is not right" in client.post(CODE_PAGE, {"code": old[1]}).content.decode()
    assert client.post(CODE_PAGE, {"code": new[1]}).status_code == 302
    assert AuthEvent.objects.filter(kind=AuthEventKind.RECOVERY_CODES, user=alice).count() == 2


def test_the_rule_can_be_switched_off_for_a_deployment(client, alice, settings):
    settings.LOCAL_SECOND_FACTOR = False
    password(client)
    assert client.get(HOME).status_code == 200


def test_a_single_sign_on_session_is_left_to_its_identity_provider(alice, settings):
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.AllowAllUsersModelBackend"]  # stands in for the SSO one
    sso, local = Client(), Client()
    for client, backend in ((sso, settings.AUTHENTICATION_BACKENDS[1]), (local, None)):
        client.force_login(alice, backend=backend)
        session = client.session
        del session[DEVICE_ID_SESSION_KEY]  # as signed in, before any code
        session.save()

    assert sso.get(HOME).status_code == 200
    assert local.get(HOME).status_code == 302


def test_the_demo_code_command_serves_only_the_published_demo_secret(client, alice, clock):
    out = StringIO()
    with pytest.raises(CommandError, match="not a demo login"):
        call_command("totp_code", "alice", stdout=out)
    factories.authenticator(alice)
    with pytest.raises(CommandError):
        call_command("totp_code", "alice", stdout=out)

    second_factor.demo_enrol(alice)
    call_command("totp_code", "alice", stdout=out)

    password(client)
    assert client.post(CODE_PAGE, {"code": out.getvalue().strip()}).status_code == 302
    assert client.get(HOME).status_code == 200
