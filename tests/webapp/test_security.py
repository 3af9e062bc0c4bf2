"""ASVS L2 controls on the web app: sign-in lockout without user enumeration, session lifetimes,
CSRF, security headers and the production deploy check (catalogue tests S14-S17)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client

from tests import factories
from webapp.accounts import services
from webapp.accounts.models import AuthEvent, AuthEventKind, LoginThrottle
from webapp.security import CSP

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WRONG = "not-the-password"  # noqa: S105 - a wrong password on purpose
LOGIN = "/login/"
HOME = "/my-tasks/"  # a page every signed-in officer may open ("/" redirects)
SESSION = django_settings.SESSION_COOKIE_NAME


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """PBKDF2 at Django's cost makes a hundred attempts slow; the throttle does not care."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hrt():
    return factories.force()


@pytest.fixture
def alice(hrt):
    return factories.officer("alice", hrt, "contact_handler")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def sign_in(client: Client, username: str, password: str = factories.PASSWORD, **extra):
    """The password step's answer; when it let the person in, the code from their
    authenticator app is given too (tests/webapp/test_second_factor.py covers that step)."""
    answer = client.post(LOGIN, {"username": username, "password": password}, **extra)
    if signed_in(answer):
        device = factories.authenticator(get_user_model().objects.get(username=username))
        given = client.post("/login/code/", {"code": factories.totp_code(device)}, **extra)
        assert given.status_code == 302, given.content.decode()
    return answer


def signed_in(response) -> bool:
    return response.status_code == 302 and response.url == "/"


def masked(response, username: str) -> tuple[int, str]:
    """Status and page text with the per-render CSRF token and the echoed username masked."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"',
                  'name="csrfmiddlewaretoken" value="…"', body)
    body = body.replace(f'value="{username}"', 'value="…"')
    return response.status_code, body


# --- S14: lockout without user enumeration --------------------------------------------------


def test_five_failures_lock_the_account_even_against_the_right_password(client, alice, clock):
    for _ in range(services.ACCOUNT_LIMIT):
        assert not signed_in(sign_in(client, "alice", WRONG))

    assert not signed_in(sign_in(client, "alice"))
    assert "_auth_user_id" not in client.session


def test_a_locked_account_opens_again_after_fifteen_minutes(client, alice, clock):
    for _ in range(services.ACCOUNT_LIMIT):
        sign_in(client, "alice", WRONG)
    clock.shift(timedelta(minutes=14, seconds=59))
    assert not signed_in(sign_in(client, "alice"))

    clock.shift(timedelta(seconds=2))

    assert signed_in(sign_in(client, "alice"))


def test_success_clears_the_account_count(client, alice, clock):
    for _ in range(services.ACCOUNT_LIMIT - 1):
        sign_in(client, "alice", WRONG)
    assert signed_in(sign_in(client, "alice"))
    client.post("/logout/")

    for _ in range(services.ACCOUNT_LIMIT - 1):
        sign_in(client, "alice", WRONG)

    assert signed_in(sign_in(client, "alice"))


def test_username_case_does_not_buy_more_attempts(client, alice, clock):
    for name in ("alice", "Alice", "ALICE", "aLiCe", "alicE"):
        sign_in(client, name, WRONG)

    assert not signed_in(sign_in(client, "alice"))


def test_wrong_password_unknown_user_and_locked_account_get_the_same_page(client, hrt, clock):
    factories.officer("bob", hrt, "contact_handler")
    factories.officer("carol", hrt, "contact_handler")
    for _ in range(services.ACCOUNT_LIMIT):
        sign_in(client, "carol", WRONG)

    wrong = masked(sign_in(client, "bob", WRONG), "bob")
    unknown = masked(sign_in(client, "nobody", WRONG), "nobody")
    locked = masked(sign_in(client, "carol"), "carol")  # the right password, while locked
    unknown_locked = [sign_in(client, "ghost", WRONG) for _ in range(services.ACCOUNT_LIMIT + 1)]

    assert wrong == unknown == locked == masked(unknown_locked[-1], "ghost")
    assert wrong[0] == 200
    assert "Your username or password is not right" in wrong[1]


def test_twenty_failures_slow_the_address_and_spoofed_forwarded_for_does_not_help(
        client, alice, clock):
    # given: 20 wrong guesses on 20 different accounts, each claiming another X-Forwarded-For
    for n in range(services.ADDRESS_LIMIT):
        sign_in(client, f"user{n}", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    # when: a guess comes straight after, from the same connection
    response = sign_in(client, "alice", HTTP_X_FORWARDED_FOR="198.51.100.7")

    # then: refused (slowed down), counted against REMOTE_ADDR only
    assert not signed_in(response)
    assert "Too many sign-in attempts have come from your network" in response.content.decode()
    assert list(LoginThrottle.objects.filter(scope="address").values_list("key", flat=True)) \
        == ["127.0.0.1"]
    assert AuthEvent.objects.filter(kind=AuthEventKind.ADDRESS_LOCKED).count() == 1


def test_failures_from_one_address_do_not_lock_out_a_user_who_knows_their_password(
        hrt, alice, clock):
    # given: a decision maker who signed in on this browser before, and an attacker at the
    # same address (one office behind one NAT) who then fails 22 times
    factories.officer("dm", hrt, "decision_maker")
    factories.officer("mallory", hrt, "case_officer")  # the attacker's own account
    decision_maker, attacker = Client(), Client()
    for browser, account in ((decision_maker, "dm"), (attacker, "mallory")):
        assert signed_in(sign_in(browser, account))
        browser.post("/logout/")
    for n in range(22):
        clock.shift(timedelta(seconds=5))
        sign_in(attacker, f"user{n}", WRONG)
    assert AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count() == 22

    # when: the decision maker signs in with the right password, at once
    response = sign_in(decision_maker, "dm")

    # then: in, with no 15-minute lockout of the address
    assert signed_in(response)
    # and the attacker's next guess straight away is refused without being tried, even with
    # the right password of an account that has never signed in from this browser (their
    # browser is trusted for their own account only)
    assert not signed_in(sign_in(attacker, "alice"))
    assert AuthEvent.objects.filter(kind=AuthEventKind.REFUSED).count() == 1


def test_a_slowed_address_admits_one_attempt_per_growing_delay_not_fifteen_minutes(
        client, alice, clock):
    # given: 22 failures from one address
    for n in range(22):
        sign_in(client, f"user{n}", WRONG)

    # then: straight away even the right password waits (the address is slowed)...
    assert not signed_in(sign_in(client, "alice"))
    # ...but a few seconds later it gets in: a slowdown, not a lockout
    clock.shift(timedelta(seconds=services.ADDRESS_MAX_DELAY.total_seconds() + 1))
    assert signed_in(sign_in(client, "alice"))
    client.post("/logout/")
    # and a guessing attacker gets one try per delay, the delay doubling up to a minute
    # (2, 4, 8, 16, 32, 60 s: six tries in two minutes rather than 120)
    tried = 0
    for _ in range(120):  # two minutes of one guess a second
        before = AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count()
        sign_in(client, "someone", WRONG)
        tried += AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count() - before
        clock.shift(timedelta(seconds=1))
    assert 1 <= tried <= 7


def test_signing_in_to_ones_own_account_does_not_lift_an_address_slowdown(client, alice, clock):
    # given: a guesser whose browser has signed in to their own account before (trusted)...
    assert signed_in(sign_in(client, "alice"))
    client.post("/logout/")
    # ...and whose address failed often enough to be slowed down
    for n in range(services.ADDRESS_LIMIT):
        sign_in(client, f"user{n}", WRONG)

    # when: they sign in to their own account between guesses at other accounts
    tried = 0
    for _ in range(10):
        assert signed_in(sign_in(client, "alice"))  # the trusted browser is not held up
        client.post("/logout/")
        before = AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count()
        sign_in(client, "someone", WRONG)
        tried += AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count() - before

    # then: the address stays slowed; the guesses are not admitted
    assert tried == 0


def test_forwarded_for_is_believed_only_as_far_as_trusted_proxies(client, alice, clock,
                                                                  settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(services.ADDRESS_LIMIT):
        sign_in(client, f"user{n}", WRONG, HTTP_X_FORWARDED_FOR=f"6.6.6.6, 203.0.113.{n}")

    assert signed_in(sign_in(client, "alice", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"))
    assert not LoginThrottle.objects.filter(key__in=["6.6.6.6", "127.0.0.1"]).exists()


def test_events_are_recorded_and_logs_hold_no_username_or_password(client, alice, clock,
                                                                   caplog):
    caplog.set_level("DEBUG")
    for _ in range(services.ACCOUNT_LIMIT):
        sign_in(client, "alice", WRONG)
    sign_in(client, "alice")
    clock.shift(timedelta(minutes=16))
    sign_in(client, "alice")

    kinds = list(AuthEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["failure"] * 5 + ["account_locked", "refused", "success", "code_ok"]
    assert AuthEvent.objects.get(kind="success").user == alice
    assert set(AuthEvent.objects.values_list("account_key", flat=True)) == {
        services.account_key("alice"), services.account_key("second factor alice")}
    assert "alice" not in caplog.text
    assert WRONG not in caplog.text and factories.PASSWORD not in caplog.text
    assert "auth account_locked" in caplog.text


def test_s14_brute_force_and_spraying_figure(client, hrt, clock):
    factories.officer("target", hrt, "contact_handler")
    # 100 wrong passwords for one account from one address
    pages = [masked(sign_in(client, "target", f"guess-{n}"), "target") for n in range(100)]
    checked = AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count()
    right_refused = not signed_in(sign_in(client, "target"))
    unknown = masked(sign_in(client, "no-such-officer", WRONG), "no-such-officer")
    response_diff = len({page for page in [*pages, unknown]}) - 1

    # spraying one password over 50 accounts from 20 spoofed X-Forwarded-For values
    clock.shift(timedelta(minutes=30))
    AuthEvent.objects.all().delete()
    for n in range(50):
        sign_in(client, f"officer{n}", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n % 20}")
    sprayed = AuthEvent.objects.filter(kind=AuthEventKind.FAILURE).count()

    print(json.dumps({"id": "S14", "attempts_before_block": checked,
                      "right_password_refused_while_locked": right_refused,
                      "spray_attempts_before_block": sprayed,
                      "spoofed_xff_bypass": max(0, sprayed - services.ADDRESS_LIMIT),
                      "response_diff": response_diff}))
    assert checked == services.ACCOUNT_LIMIT
    assert right_refused
    assert sprayed == services.ADDRESS_LIMIT
    assert response_diff == 0


# --- S15: sessions --------------------------------------------------------------------------


def test_signing_in_rotates_the_session_id(client, alice):
    planted = client.session  # a session the attacker could have fixed before sign-in
    planted["probe"] = 1
    planted.save()
    before = client.cookies[SESSION].value

    assert signed_in(sign_in(client, "alice"))

    assert client.cookies[SESSION].value != before
    assert not Session.objects.filter(session_key=before).exists()


def test_an_idle_session_is_signed_out_on_the_server(client, alice, clock):
    sign_in(client, "alice")
    clock.shift(timedelta(minutes=29))
    assert client.get(HOME).status_code == 200
    clock.shift(timedelta(minutes=29))
    assert client.get(HOME).status_code == 200  # activity keeps it alive

    clock.shift(timedelta(minutes=30, seconds=1))
    response = client.get(HOME)

    assert response.status_code == 302 and response.url == f"/login/?next={HOME}"
    page = client.get(response.url)
    assert "signed out after 30 minutes without activity" in page.content.decode()
    assert client.get(HOME).status_code == 302
    assert AuthEvent.objects.filter(kind=AuthEventKind.EXPIRED, user=alice).exists()


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(client, alice, clock):
    sign_in(client, "alice")
    for _ in range(28):  # 11 h 40 min of steady work
        clock.shift(timedelta(minutes=25))
        assert client.get(HOME).status_code == 200

    clock.shift(timedelta(minutes=21))
    response = client.get(HOME)

    assert response.status_code == 302 and response.url.startswith("/login/")
    assert "more than 12 hours ago" in client.get(response.url).content.decode()


def test_signing_out_kills_the_session_on_the_server(client, alice):
    sign_in(client, "alice")
    old = client.cookies[SESSION].value

    client.post("/logout/")
    client.cookies[SESSION] = old  # replay the stolen cookie

    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert not Session.objects.filter(session_key=old).exists()


def test_a_signed_in_session_without_lifetime_stamps_is_refused(client, alice):
    client.force_login(alice)
    session = client.session
    del session["_dw_auth_at"]
    session.save()

    assert client.get(HOME).status_code == 302


def test_s15_session_figure(client, alice, clock):
    checks = {}
    sign_in(client, "alice")
    cookie = client.cookies[SESSION]
    checks["httponly"] = bool(cookie["httponly"])
    checks["samesite"] = cookie["samesite"].lower() in {"lax", "strict"}
    checks["secure_in_production"] = _production_settings()["SESSION_COOKIE_SECURE"] is True
    before = cookie.value
    client.post("/logout/")
    sign_in(client, "alice")
    checks["rotated"] = client.cookies[SESSION].value != before
    clock.shift(timedelta(minutes=31))
    checks["idle"] = client.get(HOME).status_code == 302
    sign_in(client, "alice")
    old = client.cookies[SESSION].value
    client.post("/logout/")
    client.cookies[SESSION] = old
    checks["logout_replay_refused"] = client.get(HOME).status_code == 302
    sign_in(client, "alice")
    busy = []
    for _ in range(24):  # 11 h 36 min, never idle for long
        clock.shift(timedelta(minutes=29))
        busy.append(client.get(HOME).status_code)
    clock.shift(timedelta(minutes=25))
    checks["absolute"] = busy == [200] * 24 and client.get(HOME).status_code == 302

    print(json.dumps({"id": "S15", "checks": len(checks), "passed": sum(checks.values())}))
    assert all(checks.values()), checks


# --- S16: CSRF ------------------------------------------------------------------------------


def test_s16_posts_without_a_csrf_token_are_refused(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.get(LOGIN)  # receives the CSRF cookie, as a real browser would
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    refused = [browser.post(LOGIN, {"username": "alice", "password": factories.PASSWORD})]
    browser.force_login(alice)
    refused += [
        browser.post("/logout/"),
        browser.post("/enquiries/new/", {"action": "draft"}),
        browser.post("/api/v1/enquiries", {}, content_type="application/json"),
        # a cross-origin form post carrying a valid token is refused on Origin
        browser.post("/enquiries/new/", {"action": "draft", "csrfmiddlewaretoken": token},
                     HTTP_ORIGIN="https://evil.example"),
    ]
    statuses = [response.status_code for response in refused]

    print(json.dumps({"id": "S16", "requests": len(statuses),
                      "rejected": statuses.count(403)}))
    assert statuses == [403] * len(statuses)
    assert "CSRF" in refused[3].json()["detail"]  # the API refuses on CSRF, not on permission
    # and with the token the same form goes through
    ok = browser.post("/enquiries/new/", {"action": "draft", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302 and ok.url.startswith("/enquiries/new/")  # the draft kept


# --- S17: headers and deploy configuration --------------------------------------------------

HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def test_pages_carry_the_security_headers(client, alice):
    client.force_login(alice)
    for url in (LOGIN, HOME, "/api/v1/cases"):
        response = client.get(url)
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (url, name)
        assert "camera=()" in response.headers["Permissions-Policy"]
    assert "style-src-attr 'unsafe-inline'" in CSP and "'unsafe-inline'" not in CSP.replace(
        "style-src-attr 'unsafe-inline'", "")


def test_no_template_has_an_inline_script_or_event_handler_or_turns_escaping_off():
    templates = [p for p in (factories.ROOT / "webapp").rglob("*.html")]
    offenders = []
    for path in templates:
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=", text)]
        offenders += [f"{path.name}: javascript:" for _ in re.findall("javascript:", text)]
        # Django's and Jinja2's templates autoescape; nothing turns it off
        offenders += [f"{path.name}: {m}" for m in re.findall(
            r"\|\s*safe\b|autoescape (?:off|false)|\bsafeseq\b", text)]
    assert templates and not offenders


def test_swagger_ui_is_served_only_in_development(client, alice, settings):
    client.force_login(alice)
    assert client.get("/api/docs/").status_code == 404
    assert client.get("/api/schema/").status_code == 200

    settings.DEBUG = True
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "https://cdn.jsdelivr.net" in response.headers["Content-Security-Policy"]


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="webapp.settings_production",
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.police.uk")
    return env


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=factories.ROOT, env=env or
                          _production_env(), capture_output=True, text=True, timeout=120,
                          check=False)


def _production_settings() -> dict:
    probe = _run("-c", "import django, json; django.setup(); from django.conf import settings;"
                 "print(json.dumps({k: getattr(settings, k) for k in ['SESSION_COOKIE_SECURE',"
                 "'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'DEBUG']}))")
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout)


PROBE = """
import django; django.setup()
from django.test import Client
response = Client().get("/login/", secure=True, HTTP_HOST="example.police.uk")
import json; print(json.dumps({"status": response.status_code, "headers": dict(response.headers)}))
"""


def test_production_settings_refuse_a_missing_or_default_secret_key():
    for key in ("", "insecure-development-key-change-me", "short"):
        env = {**_production_env(), "SECRET_KEY": key}
        result = _run("manage.py", "check", env=env)
        assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_s17_deploy_check_and_headers_probe(tmp_path):
    check = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    warnings = len(re.findall(r"\(\w+\.W\d+\)", check.stdout + check.stderr))
    env = {**_production_env(), "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}"}
    probe = _run("-c", PROBE, env=env)
    assert probe.returncode == 0, probe.stderr
    headers = json.loads(probe.stdout.strip().splitlines()[-1])["headers"]
    wanted = ["Strict-Transport-Security", *HEADERS, "Permissions-Policy"]
    missing = [name for name in wanted if name not in headers]

    print(json.dumps({"id": "S17", "warnings": warnings, "headers_missing": len(missing)}))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout and warnings == 0
    assert not missing, missing
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --- HTTP methods: TRACE and OPTIONS render nothing -----------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND"])
@pytest.mark.parametrize("path", ["/", "/dashboard/", "/login/", "/audit/"])
def test_pages_answer_only_get_head_and_post(client, hrt, method, path):
    client.force_login(factories.officer("dm", hrt, "decision_maker", "auditor"))

    response = client.generic(method, path)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert b"<html" not in response.content.lower()


def test_api_refuses_trace_and_its_options_answer_exposes_no_data(client, hrt):
    # given: a case the caller may read
    from webapp.cases import services as cases

    process = factories.version("csods", factories.CSODS)
    factories.deploy(hrt, process)
    contact = factories.officer("contact", hrt, "contact_handler")
    case = cases.case_start(user=contact, data=factories.sample("enquiry"), scheme="csods")
    paths = ["/api/v1/enquiries", "/api/v1/cases", f"/api/v1/cases/{case.reference}",
             "/api/v1/tasks"]

    # when / then: signed out, OPTIONS says nothing but 401
    for path in paths:
        assert client.options(path).status_code == 401
    client.force_login(contact)
    for path in paths:
        trace = client.generic("TRACE", path)
        assert trace.status_code == 405
        assert trace["Content-Type"] == "application/problem+json"
        options = client.options(path)
        # DRF's metadata only: the view's name, media types, no record and no field list
        assert options.status_code == 200
        assert set(options.json()) <= {"name", "description", "renders", "parses"}
        assert case.reference not in options.content.decode()
