"""Verify the access log's hash chain and keep the result (walking the chain reads every row,
so it runs in the command and a periodic job, never on a page view)."""

from __future__ import annotations

import logging

from django.utils import timezone

from webapp.audit.log import verify
from webapp.audit.models import ChainVerification

log = logging.getLogger(__name__)


def chain_verify(*, source: str) -> ChainVerification:
    """Walk the whole chain now and record the outcome (the first broken link, if any)."""
    started = timezone.now()
    checked, broken = verify()
    detail = ""
    if broken is not None:
        detail = (f"row id {broken.pk}" if broken.pk else "the chain head") + \
            f" ({broken.object_type} {broken.object_id})"
    result = ChainVerification.objects.create(
        started_at=started, finished_at=timezone.now(), source=source, rows_checked=checked,
        intact=broken is None, first_bad_row_id=broken.pk if broken is not None else None,
        detail=detail[:200])
    if broken is None:
        log.info("access log intact: %s rows verified", checked)
    else:
        log.error("access log BROKEN after %s good rows: first bad link at %s", checked, detail)
    return result


def last_chain_verification() -> ChainVerification | None:
    return ChainVerification.objects.order_by("-finished_at", "-pk").first()
