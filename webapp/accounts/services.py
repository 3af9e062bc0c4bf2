"""Sign-in verbs: admit or refuse an attempt, count failures per account and per client address,
clear an account's count on success, and record every authentication event without secrets.

An account that failed ACCOUNT_LIMIT times is locked for LOCKOUT, whatever password is then
given. Unknown usernames are counted and locked exactly like real ones, so a refusal says nothing
about whether an account exists (ASVS 2.2.1 without user enumeration).

A client address that failed ADDRESS_LIMIT times is slowed down, not locked: from then on it is
admitted one attempt per delay (doubling up to ADDRESS_MAX_DELAY) until it has been quiet for a
WINDOW. A browser that has signed in to the account before (a trusted device, see
``devices``) is not held up by its address, so one guesser behind an office's shared address
cannot lock out everyone there who knows their password.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from webapp.accounts.addresses import client_address
from webapp.accounts.models import AuthEvent, AuthEventKind, LoginThrottle, ThrottleScope
from webapp.metrics import FAILED_LOGINS

log = logging.getLogger(__name__)

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
ADDRESS_FIRST_DELAY = timedelta(seconds=1)
ADDRESS_MAX_DELAY = timedelta(seconds=60)
IPV6_PREFIX = 64  # one IPv6 client commonly holds a whole /64: count it as one address


def account_key(username: str) -> str:
    """A keyed digest (HMAC-SHA256 under SECRET_KEY) of the username as typed, case-folded so
    that 'Alice' and 'alice' share one allowance."""
    return salted_hmac("webapp.accounts.account_key", username.strip().casefold(),
                       algorithm="sha256").hexdigest()


def address_key(address: str) -> str:
    """The throttle key for a client address: IPv4 as is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:  # noqa: PLR2004
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: what was typed as the username, and where it came from."""

    username: str
    address: str
    trusted_device: bool = False  # this browser has signed in to this account before

    @property
    def keys(self) -> dict[str, str]:
        return {ThrottleScope.ACCOUNT: account_key(self.username),
                ThrottleScope.ADDRESS: address_key(self.address)}


def login_admit(*, attempt: Attempt) -> str | None:
    """Take one attempt from the account's and the address's allowance, or refuse (and record
    the refusal). Returns None when admitted, else the scope that refused: ``address`` when the
    address is slowed down (saying so reveals nothing about the account), otherwise
    ``account``. The slot is taken before the password is checked, so parallel guesses cannot
    overshoot a limit."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        account, address = _throttles(attempt, now)
        refused = [row.scope for row in (account, address)
                   if _refuses(row, now, trusted_device=attempt.trusted_device)]
        if not refused:
            account.failures += 1
            account.save(update_fields=["failures", "window_started_at", "locked_until"])
            address.failures += 1
            if address.failures >= ADDRESS_LIMIT and not attempt.trusted_device:
                address.locked_until = now + _address_delay(address.failures)
            address.save(update_fields=["failures", "window_started_at", "locked_until"])
            return None
        _record(AuthEventKind.REFUSED, attempt, now, detail=",".join(refused))
    FAILED_LOGINS.labels("throttled").inc()
    return ThrottleScope.ADDRESS if ThrottleScope.ADDRESS in refused else ThrottleScope.ACCOUNT


def login_fail(*, attempt: Attempt, kind: str = AuthEventKind.FAILURE,
               reason: str = "wrong_password") -> None:
    """The password (or, with ``kind``, the second-factor code) did not match, or the user does
    not exist: the attempt admitted by ``login_admit`` stays counted; an account that has
    reached its limit is locked, and an address reaching its limit is recorded as from now on
    slowed down."""
    now = timezone.now()
    FAILED_LOGINS.labels(reason).inc()
    with transaction.atomic(durable=True):
        _record(kind, attempt, now)
        account, address = _throttles(attempt, now)
        if account.failures >= ACCOUNT_LIMIT and account.locked_until is None:
            account.locked_until = now + LOCKOUT
            account.save(update_fields=["locked_until"])
            _record(AuthEventKind.ACCOUNT_LOCKED, attempt, now)
        if address.failures == ADDRESS_LIMIT:
            _record(AuthEventKind.ADDRESS_LOCKED, attempt, now)


def login_succeed(*, attempt: Attempt, user: AbstractBaseUser,
                  kind: str = AuthEventKind.SUCCESS) -> None:
    """Clear the account's count and give the address back the slot this attempt took (a busy
    office behind one address must not slow itself down by signing in)."""
    now = timezone.now()
    keys = attempt.keys
    with transaction.atomic(durable=True):
        LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT,
                                     key=keys[ThrottleScope.ACCOUNT]).delete()
        address = (LoginThrottle.objects.select_for_update()
                   .filter(scope=ThrottleScope.ADDRESS, key=keys[ThrottleScope.ADDRESS]).first())
        # Only an address that is not slowed down gets its slot back: otherwise a guesser who
        # signs in to their own account between guesses would lift their own slowdown.
        if address is not None and 0 < address.failures < ADDRESS_LIMIT:
            address.failures -= 1
            address.save(update_fields=["failures"])
        _record(kind, attempt, now, user=user)


def sso_record(*, kind: str, address: str, user: Any = None, reason: str = "") -> None:
    """A single sign-on through the force's identity provider: signed in, refused (bad or
    expired token, unknown issuer, provider unreachable) or without a role here. Neither
    tokens nor claims are kept or logged, only a short reason word."""
    AuthEvent.objects.create(at=timezone.now(), kind=kind, address=_ip_or_none(address),
                             user=_user_or_none(user))
    if kind != AuthEventKind.SSO_SUCCESS:
        FAILED_LOGINS.labels("sso").inc()
    log.info("auth %s address=%s user_id=%s%s", kind, address, getattr(user, "pk", None),
             f" reason={reason}" if reason else "")


def session_expire_record(*, user: Any, address: str, reason: str) -> None:
    """A session ended by the server for idleness or age."""
    AuthEvent.objects.create(at=timezone.now(), kind=AuthEventKind.EXPIRED,
                             address=_ip_or_none(address), user=_user_or_none(user))
    log.info("auth expired reason=%s user_id=%s", reason, getattr(user, "pk", None))


def logout_record(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Receiver for ``user_logged_out``."""
    address = client_address(request) if request is not None else ""
    AuthEvent.objects.create(at=timezone.now(), kind=AuthEventKind.LOGOUT,
                             address=_ip_or_none(address), user=_user_or_none(user))
    log.info("auth logout user_id=%s", getattr(user, "pk", None))


def throttles_prune(*, now: datetime | None = None) -> int:
    """Delete throttle rows whose window, lock and slowdown are all over (for a periodic job);
    a slowed address is kept until it has been quiet for a whole window."""
    now = now or timezone.now()
    stale = LoginThrottle.objects.filter(window_started_at__lte=now - WINDOW).exclude(
        locked_until__gt=now - WINDOW)
    return stale.delete()[0]


def _throttles(attempt: Attempt, now: datetime) -> tuple[LoginThrottle, LoginThrottle]:
    """The account's and the address's rows, locked in that fixed order; a window, lock or
    slowdown that is over starts afresh."""
    rows = []
    for scope, key in attempt.keys.items():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            scope=scope, key=key, defaults={"window_started_at": now})
        if _over(row, now):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        rows.append(row)
    account, address = rows
    return account, address


def _over(row: LoginThrottle, now: datetime) -> bool:
    if row.locked_until is None:
        return row.window_started_at + WINDOW <= now
    if row.scope == ThrottleScope.ACCOUNT:
        return row.locked_until <= now
    return row.locked_until + WINDOW <= now  # an address: quiet for a window after its slowdown


def _refuses(row: LoginThrottle, now: datetime, *, trusted_device: bool) -> bool:
    if row.scope == ThrottleScope.ACCOUNT:
        # A spent allowance refuses too: attempts still in flight already hold the last slots.
        return (row.locked_until is not None and row.locked_until > now) or (
            row.failures >= ACCOUNT_LIMIT)
    return not trusted_device and row.locked_until is not None and row.locked_until > now


def _address_delay(failures: int) -> timedelta:
    """How long a slowed address waits before its next attempt: doubling from the limit on."""
    doublings = min(failures - ADDRESS_LIMIT, 16)
    return min(ADDRESS_FIRST_DELAY * 2 ** doublings, ADDRESS_MAX_DELAY)


def _record(kind: str, attempt: Attempt, now: datetime, *, user: Any = None,
            detail: str = "") -> None:
    key = attempt.keys[ThrottleScope.ACCOUNT]
    AuthEvent.objects.create(at=now, kind=kind, account_key=key,
                             address=_ip_or_none(attempt.address), user=_user_or_none(user))
    # Logs carry a prefix of the keyed digest, never what was typed.
    log.info("auth %s account=%s address=%s%s", kind, key[:16], attempt.address,
             f" scope={detail}" if detail else "")


def _ip_or_none(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "pk", None) is not None else None
