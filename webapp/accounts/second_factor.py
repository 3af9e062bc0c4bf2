"""The second factor for local accounts (django-otp): a TOTP authenticator app, with single-use
recovery codes for a lost phone.

A session signed in with a password is authenticated but not yet verified; until a code from
the person's app (or a recovery code) is accepted, ``webapp.second_factor_gate`` lets it reach
only the second-factor pages, sign-out and the keep-alive. The rule fails closed: every session
whose backend is in ``LOCAL_AUTH_BACKENDS`` needs it, however it was signed in. Sessions from
another backend (single sign-on, whose identity provider does its own second factor) do not.

Wrong codes are counted like wrong passwords (``services.login_admit``/``login_fail``), under
their own per-account key: signing in again with the password does not reset the count, so a
thief holding the password gets ACCOUNT_LIMIT guesses per LOCKOUT, not per sign-in. django-otp
slows each device down on its own as well.
"""

from __future__ import annotations

import logging
from base64 import b32decode, b32encode
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, verify_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from webapp.accounts import services
from webapp.accounts.addresses import client_address
from webapp.accounts.devices import trusted_accounts
from webapp.accounts.models import AuthEvent, AuthEventKind, ThrottleScope

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
# Reachable before the second factor: the pages that ask for it, and the ways out.
OPEN_VIEWS = frozenset({"second_factor_verify", "second_factor_enrol", "logout", "login",
                        "session_keep_alive"})
# The demo's published secret (base32), enrolled by `seed_demo` for the demo logins only: a
# code for an account holding it is no secret, so `manage.py totp_code` prints one.
DEMO_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # noqa: S105 - published demo secret


def is_required(request: HttpRequest) -> bool:
    """Whether this session still has to give a second factor before anything else."""
    user = getattr(request, "user", None)
    if not settings.LOCAL_SECOND_FACTOR or user is None or not user.is_authenticated:
        return False
    if request.session.get(BACKEND_SESSION_KEY) not in settings.LOCAL_AUTH_BACKENDS:
        return False
    return not user.is_verified()


def app_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device being set up (the same secret on every reload of the page)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the secret to type in, and the same as a QR code."""

    secret: str
    qr_data_uri: str


def enrolment_show(device: TOTPDevice) -> Enrolment:
    secret = b32encode(device.bin_key).decode()
    # An SVG data URI made here: the secret never leaves the server for a QR service.
    qr = segno.make_qr(device.config_url, error="m").svg_data_uri(scale=4, border=4)
    return Enrolment(secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                     qr_data_uri=qr)


@dataclass(frozen=True)
class CodeResult:
    """The outcome of a code: accepted, wrong, or refused while locked or slowed down."""

    accepted: bool
    locked: bool = False
    address_slowed: bool = False  # refused because of the network's slowdown, not the account


def code_check(*, request: HttpRequest, code: str, enrolling: TOTPDevice | None = None
               ) -> CodeResult:
    """Check a code from the app (or, when not enrolling, a recovery code) for the signed-in
    user, throttled and recorded like a password; on success the session is verified."""
    user = request.user
    attempt = _attempt(request)
    refused_by = services.login_admit(attempt=attempt)
    if refused_by is not None:
        return CodeResult(accepted=False, locked=True,
                          address_slowed=refused_by == ThrottleScope.ADDRESS)
    code = "".join(code.split()).replace("-", "").lower()
    devices = [enrolling] if enrolling is not None else [
        d for d in (app_device(user), StaticDevice.objects.filter(user=user).first()) if d]
    device = next((d for d in devices
                   if code and verify_token(user, d.persistent_id, code) is not None), None)
    if device is None:
        services.login_fail(attempt=attempt, kind=AuthEventKind.CODE_FAILURE,
                            reason="wrong_code")
        return CodeResult(accepted=False)
    if enrolling is None:  # a device being set up verifies the session once it is confirmed
        _verified(request, type(device).objects.get(pk=device.pk))
    services.login_succeed(attempt=attempt, user=user, kind=AuthEventKind.CODE_ACCEPTED)
    if isinstance(device, StaticDevice):
        log.info("auth recovery code used user_id=%s left=%s", user.pk,
                 device.token_set.count())
    return CodeResult(accepted=True)


def enrolment_confirm(*, request: HttpRequest, device: TOTPDevice, code: str
                      ) -> tuple[CodeResult, list[str]]:
    """Confirm the app being set up with a code from it; returns the new recovery codes (shown
    once) when it is accepted."""
    result = code_check(request=request, code=code, enrolling=device)
    if not result.accepted:
        return result, []
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        _event(request, AuthEventKind.ENROLLED)
        codes = recovery_codes_issue(request=request)
    _verified(request, TOTPDevice.objects.get(pk=device.pk))
    return result, codes


def recovery_codes_issue(*, request: HttpRequest) -> list[str]:
    """New recovery codes, each usable once; the old ones stop working."""
    user = request.user
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        _event(request, AuthEventKind.RECOVERY_CODES)
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def demo_enrol(user: AbstractBaseUser) -> None:
    """Give a demo login the published demo secret (for `seed_demo` only)."""
    key = _hex(DEMO_SECRET)
    TOTPDevice.objects.filter(user=user).exclude(key=key).delete()
    TOTPDevice.objects.get_or_create(user=user, key=key,
                                     defaults={"name": APP_DEVICE, "confirmed": True})


def demo_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The user's app device if it holds the published demo secret, else None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True, key=_hex(DEMO_SECRET)).first()


def _hex(base32: str) -> str:
    return b32decode(base32).hex()


def _verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    """Mark the session verified, under a new session key: the half-signed-in session's key
    must not carry over into the fully signed-in one."""
    request.session.cycle_key()
    otp_login(request, device)


def _attempt(request: HttpRequest) -> services.Attempt:
    username = request.user.get_username()
    # The browser that has just given the password carries the trusted-device cookie for it.
    trusted = services.account_key(username) in trusted_accounts(request)
    # Django usernames hold no spaces: this key cannot be any account's password key.
    return services.Attempt(username=f"second factor {username}",
                            address=client_address(request), trusted_device=trusted)


def _event(request: HttpRequest, kind: str) -> None:
    address = client_address(request)
    AuthEvent.objects.create(at=timezone.now(), kind=kind, user=request.user,
                             address=services._ip_or_none(address))
    log.info("auth %s user_id=%s", kind, request.user.pk)


__all__ = ["DEVICE_ID_SESSION_KEY", "code_check", "enrolment_confirm", "is_required",
           "recovery_codes_issue"]
