"""`Idempotency-Key` on POSTs: a retried request has one effect and gets the same response.

A first try claims the key (a committed row with a short lease), then does its work and
stores its response in ONE transaction. A crash or a killed worker rolls back the work and
the response together, so a retry after the lease finds nothing done and runs once; a crash
after the commit leaves the response, which the retry replays. While a claim's lease runs, a
duplicate gets 409. Keys are kept for a day (``IDEMPOTENCY_TTL_HOURS``), then purged.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from webapp.api.models import IdempotentRequest
from webapp.api.problems import problem
from webapp.cases.step_incidents import incident_record
from webapp.errors import ServiceError

MAX_KEY = 200


class CaseResponse(Response):
    """A response about one case: its stored copy is erased when the case is erased."""

    def __init__(self, data: Any, *, case_id: int, status: int = 200) -> None:
        super().__init__(data, status=status)
        self.case_id = case_id


def _ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def _lease() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(request.body or b"")
    return digest.hexdigest()


def idempotency_purge() -> int:
    """Delete the records of keys older than the time they are kept; return how many."""
    deleted, _ = IdempotentRequest.objects.filter(
        created_at__lt=timezone.now() - _ttl()).delete()
    return deleted


@contextmanager
def _one_transaction() -> Iterator[None]:
    """Commit the work and its stored response together (the services' durable blocks run as
    savepoints of this one transaction), or neither."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:  # already inside a caller's transaction (a test's)
        yield
        return
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        yield
        connection.commit()
    except BaseException:
        try:
            connection.rollback()
        except DatabaseError:  # the connection is gone: so is the transaction
            connection.close()
        raise
    finally:
        if connection.connection is not None:
            connection.set_autocommit(True)


def _claim(request: Request, key: str, fingerprint: str) -> IdempotentRequest | Response:
    """Claim the key for this try, or answer from the earlier one (replay, 409 or 422)."""
    now = timezone.now()
    owner = secrets.token_hex(16)
    # Read first: a duplicate of a running try is answered without waiting for a write lock.
    previous = IdempotentRequest.objects.filter(user=request.user, key=key).first()
    if previous is None:
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint, created_at=now,
                    owner=owner, lease_until=now + _lease())
        except IntegrityError:
            previous = IdempotentRequest.objects.filter(user=request.user, key=key).first()
            if previous is None:  # the other try failed and freed the key meanwhile
                return _claim(request, key, fingerprint)
    if previous.created_at < now - _ttl():  # an expired key is never replayed
        IdempotentRequest.objects.filter(pk=previous.pk, created_at=previous.created_at).delete()
        return _claim(request, key, fingerprint)
    if previous.fingerprint != fingerprint:
        return problem(422, "idempotency_key_reused",
                       "This Idempotency-Key was used for a different request.", request)
    return _take_over(request, previous, owner, now)


def _take_over(request: Request, previous: IdempotentRequest, owner: str,
               now: Any) -> IdempotentRequest | Response:
    """Take over a claim whose try died (lease run out), else replay or say it is running."""
    if previous.status is None:
        taken = IdempotentRequest.objects.filter(
            Q(lease_until__lt=now) | Q(lease_until__isnull=True), pk=previous.pk,
            status__isnull=True).update(owner=owner, lease_until=now + _lease())
        if taken:
            previous.owner = owner
            return previous
        previous.refresh_from_db()  # still running, or finished a moment ago
    if previous.status is not None:
        return _replay(request, previous)
    wait = max(1, math.ceil((previous.lease_until - now).total_seconds()))
    busy = problem(409, "in_progress", "The first request with this Idempotency-Key is still "
                                       f"running; retry in {wait} s.", request)
    busy["Retry-After"] = str(wait)
    return busy


def _replay(request: Request, previous: IdempotentRequest) -> Response:
    if previous.erased_at is not None:
        return problem(410, "erased", "The case this request answered about has been erased "
                                      "under the retention policy.", request)
    replay = Response(previous.body, status=previous.status)
    replay["Idempotent-Replayed"] = "true"
    return replay


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a POST handler: the first response for (user, key) is stored and replayed."""

    @wraps(handler)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return handler(self, request, *args, **kwargs)
        if len(key) > MAX_KEY:
            return problem(400, "invalid", "Idempotency-Key is too long (200 characters).",
                           request)
        claim = _claim(request, key, _fingerprint(request))
        if isinstance(claim, Response):
            return claim
        managed = not transaction.get_connection().in_atomic_block
        try:
            with _one_transaction():
                response = handler(self, request, *args, **kwargs)
                stored = IdempotentRequest.objects.filter(
                    pk=claim.pk, owner=claim.owner, status__isnull=True).update(
                    status=response.status_code, body=response.data, lease_until=None,
                    case_id=getattr(response, "case_id", None))
                if not stored:  # a retry took the claim over: its result stands, not ours
                    raise _Superseded
        except _Superseded:
            return problem(409, "in_progress", "A retry with this Idempotency-Key took over "
                                               "this request; nothing was changed by it.", request)
        except Exception as exc:
            # A failure changed nothing: free the key so a retry runs for real (if the database
            # is gone too, the claim's lease runs out instead).
            with contextlib.suppress(DatabaseError):
                IdempotentRequest.objects.filter(pk=claim.pk, owner=claim.owner,
                                                 status__isnull=True).delete()
                # a step that failed rolled back with this transaction: its incident goes after
                if managed and isinstance(exc, ServiceError) and exc.case_id is not None:
                    incident_record(exc.case_id, exc.message)
            raise
        return response

    return wrapper


class _Superseded(Exception):
    """The claim was taken over by a retry after its lease ran out."""
