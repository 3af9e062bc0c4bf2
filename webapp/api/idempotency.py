"""`Idempotency-Key` on POSTs: a retried request has one effect and gets the same response."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from webapp.api.models import IdempotentRequest
from webapp.api.problems import problem

MAX_KEY = 200


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(request.body or b"")
    return digest.hexdigest()


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
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint,
                    created_at=timezone.now())
        except IntegrityError:
            previous = IdempotentRequest.objects.get(user=request.user, key=key)
            if previous.fingerprint != fingerprint:
                return problem(422, "idempotency_key_reused",
                               "This Idempotency-Key was used for a different request.", request)
            if previous.status is None:
                return problem(409, "in_progress",
                               "The first request with this Idempotency-Key is still running.",
                               request)
            replay = Response(previous.body, status=previous.status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = handler(self, request, *args, **kwargs)
        except Exception:
            record.delete()  # an unexpected failure may be retried for real
            raise
        IdempotentRequest.objects.filter(pk=record.pk).update(
            status=response.status_code, body=response.data)
        return response

    return wrapper
