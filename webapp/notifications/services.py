"""Verbs of email notifications. ``notify`` records a notice per recipient inside the caller's
transaction and sends it only after the commit (through Celery), so a step never fails because
mail is down; ``notice_send`` is the worker's side; ``digests_send`` the daily summary."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from webapp.notifications import messages
from webapp.notifications.jobs import enqueue_send
from webapp.notifications.models import DEFAULT_DELIVERY, Delivery, Kind, Notice, Preference

log = logging.getLogger(__name__)
# Errors a later try may get past (the mail server down, refusing for now, a network fault).
TRANSIENT = (smtplib.SMTPException, OSError)
# Sent notices are kept this long (what was emailed to whom, for a query), then deleted.
KEEP_SENT = timedelta(days=30)


def deliveries(user_id: int) -> dict[str, str]:
    """Kind -> how the person wants it (their choice, else the default)."""
    chosen = dict(Preference.objects.filter(user_id=user_id).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in Kind.values}


def preferences_set(*, user: object, choices: dict[str, str]) -> None:
    """Keep a person's choice per kind (unknown kinds or deliveries are refused by the view)."""
    with transaction.atomic():
        for kind, delivery in choices.items():
            Preference.objects.update_or_create(user=user, kind=kind,
                                                defaults={"delivery": delivery})


def notify(*, kind: str, user_ids: Iterable[int | None], reference: str, path: str,
           words: str = "") -> list[Notice]:
    """Record a notice for each person (by their preference) and send the immediate ones after
    the surrounding transaction commits. ``words`` are generic (a declared task or clock name)."""
    now = timezone.now()
    made = []
    wanted = {u for u in user_ids if u is not None}
    reachable = set(get_user_model().objects.filter(pk__in=wanted, is_active=True)
                    .exclude(email="").values_list("pk", flat=True))
    for user_id in sorted(reachable):  # no address, or a closed account: nothing to owe
        delivery = deliveries(user_id)[kind]
        if delivery == Delivery.NEVER:
            continue
        made.append(Notice.objects.create(user_id=user_id, kind=kind, delivery=delivery,
                                          reference=reference[:40], path=path[:300],
                                          words=words[:200], created_at=now))
    for notice in made:
        if notice.delivery == Delivery.IMMEDIATELY:
            transaction.on_commit(lambda pk=notice.pk: enqueue_send(pk), robust=True)
    return made


def _address(user_id: int) -> str:
    return get_user_model().objects.filter(pk=user_id).values_list("email", flat=True).first() or ""


def notice_send(*, notice_id: int) -> bool:
    """Email one immediate notice (once: a sent notice is not sent again). Raises a TRANSIENT
    error for the task to retry. Returns whether a mail went."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id,
                                                           sent_at__isnull=True).first()
        if notice is None:
            return False
        address = _address(notice.user_id)
        notice.attempts += 1
        if not address:
            log.warning("notice not sent: notice=%s user=%s has no email address", notice.pk,
                        notice.user_id)
            notice.sent_at = timezone.now()  # nothing to retry: it is not owed again
            notice.save(update_fields=["attempts", "sent_at"])
            return False
        failure: Exception | None = None
        try:
            messages.one_notice(notice, address).send()
        except TRANSIENT as exc:
            failure = exc
        else:
            notice.sent_at = timezone.now()
        notice.save(update_fields=["attempts", "sent_at"])
    if failure is not None:  # logged without the address: the worker retries with backoff
        log.warning("notice send failed: notice=%s user=%s attempt=%s error=%s", notice.pk,
                    notice.user_id, notice.attempts, type(failure).__name__)
        raise failure
    log.info("notice sent: notice=%s kind=%s user=%s", notice.pk, notice.kind, notice.user_id)
    return True


def notices_unsent() -> list[int]:
    """Immediate notices not yet sent (the broker lost them, or every retry failed)."""
    return list(Notice.objects.filter(delivery=Delivery.IMMEDIATELY, sent_at__isnull=True)
                .order_by("pk").values_list("pk", flat=True))


def digests_send(*, now: datetime | None = None) -> int:
    """One summary email per person with the digest notices owed to them; return how many
    emails went. A person whose mail fails keeps their notices for the next run."""
    now = now or timezone.now()
    owed: dict[int, list[Notice]] = {}
    for notice in (Notice.objects.filter(delivery=Delivery.DIGEST, sent_at__isnull=True,
                                         created_at__lte=now).order_by("created_at", "pk")):
        owed.setdefault(notice.user_id, []).append(notice)
    sent = 0
    for user_id, notices in owed.items():
        address = _address(user_id)
        try:
            if address:
                messages.digest(notices, address).send()
                sent += 1
        except TRANSIENT as exc:
            log.warning("digest send failed: user=%s error=%s", user_id, type(exc).__name__)
            continue
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(sent_at=timezone.now())
    log.info("digests sent: %s", sent)
    return sent


def notices_purge(*, now: datetime | None = None) -> int:
    """Delete notices sent longer ago than KEEP_SENT; return how many."""
    cutoff = (now or timezone.now()) - KEEP_SENT
    deleted, _ = Notice.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
