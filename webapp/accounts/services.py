"""Sign-in verbs: admit or refuse an attempt, count failures per account and per client address,
clear an account's count on success, and record every authentication event without secrets.

Unknown usernames are counted and locked exactly like real ones, so a refusal says nothing about
whether an account exists (ASVS 2.2.1 without user enumeration).
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

log = logging.getLogger(__name__)

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
LIMITS = {ThrottleScope.ACCOUNT: ACCOUNT_LIMIT, ThrottleScope.ADDRESS: ADDRESS_LIMIT}
LOCKED_KINDS = {ThrottleScope.ACCOUNT: AuthEventKind.ACCOUNT_LOCKED,
                ThrottleScope.ADDRESS: AuthEventKind.ADDRESS_LOCKED}
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

    @property
    def keys(self) -> dict[str, str]:
        return {ThrottleScope.ACCOUNT: account_key(self.username),
                ThrottleScope.ADDRESS: address_key(self.address)}


def login_admit(*, attempt: Attempt) -> bool:
    """Take one attempt from the account's and the address's allowance, or refuse (and record
    the refusal) when either is locked or spent. The slot is taken before the password is
    checked, so parallel guesses cannot overshoot the limit."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        rows = _throttles(attempt, now)
        refused = [row for row in rows if _is_locked(row, now)]
        if not refused:
            for row in rows:
                row.failures += 1
                row.save(update_fields=["failures", "window_started_at", "locked_until"])
            return True
        _record(AuthEventKind.REFUSED, attempt, now,
                detail=",".join(str(row.scope) for row in refused))
    return False


def login_fail(*, attempt: Attempt) -> None:
    """The password did not match (or the user does not exist): the attempt admitted by
    ``login_admit`` stays counted; a key that has reached its limit is locked."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        _record(AuthEventKind.FAILURE, attempt, now)
        for row in _throttles(attempt, now):
            if row.failures >= LIMITS[row.scope] and row.locked_until is None:
                row.locked_until = now + LOCKOUT
                row.save(update_fields=["locked_until"])
                _record(LOCKED_KINDS[row.scope], attempt, now)


def login_succeed(*, attempt: Attempt, user: AbstractBaseUser) -> None:
    """Clear the account's count and give the address back the slot this attempt took (a busy
    office behind one address must not lock itself out by signing in)."""
    now = timezone.now()
    keys = attempt.keys
    with transaction.atomic(durable=True):
        LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT,
                                     key=keys[ThrottleScope.ACCOUNT]).delete()
        address = (LoginThrottle.objects.select_for_update()
                   .filter(scope=ThrottleScope.ADDRESS, key=keys[ThrottleScope.ADDRESS]).first())
        if address is not None and address.failures > 0 and address.locked_until is None:
            address.failures -= 1
            address.save(update_fields=["failures"])
        _record(AuthEventKind.SUCCESS, attempt, now, user=user)


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
    """Delete throttle rows whose window and lock are both over (for a periodic job)."""
    now = now or timezone.now()
    stale = LoginThrottle.objects.filter(window_started_at__lte=now - WINDOW).exclude(
        locked_until__gt=now)
    return stale.delete()[0]


def _throttles(attempt: Attempt, now: datetime) -> list[LoginThrottle]:
    """Both throttle rows, locked in a fixed order (account, then address); a window or lock
    that is over starts afresh."""
    rows = []
    for scope, key in attempt.keys.items():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            scope=scope, key=key, defaults={"window_started_at": now})
        lock_over = row.locked_until is not None and row.locked_until <= now
        window_over = row.locked_until is None and row.window_started_at + WINDOW <= now
        if lock_over or window_over:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        rows.append(row)
    return rows


def _is_locked(row: LoginThrottle, now: datetime) -> bool:
    # A spent allowance refuses too: attempts still in flight already hold the last slots.
    return (row.locked_until is not None and row.locked_until > now) or (
        row.failures >= LIMITS[row.scope])


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
