"""Verify the access log's hash chain against the signed checkpoints kept outside the database,
keep the result, and take checkpoints (walking the chain reads rows, so it runs in the commands
and periodic jobs, never on a page view)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from webapp.audit import checkpoint_store as store
from webapp.audit.checkpoint_store import Checkpoint, Kind, Reading
from webapp.audit.log import Walk, walk
from webapp.audit.models import AccessLog, ChainVerification

log = logging.getLogger(__name__)
DETAIL_LENGTH = 200


class CheckpointRefused(Exception):
    """The chain does not continue the latest checkpoint (or is broken): no checkpoint is
    taken, since it would vouch for the damage."""


@dataclass(frozen=True)
class Verdict:
    """One verification: the stored record, and everything found wrong, in words."""

    record: ChainVerification
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def intact(self) -> bool:
        return self.record.intact


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%-d %b %Y %H:%M")


def _link_problem(found: Walk) -> str:
    if found.broken is not None:
        entry = found.broken
        return f"row id {entry.pk} ({entry.object_type} {entry.object_id})"
    if found.missing:
        return f"the chain head (chain head {found.missing})"
    return ""


def _matching(found: Walk, history: list[Checkpoint]) -> Checkpoint | None:
    """The latest checkpoint this chain continues."""
    for checkpoint in reversed(history):
        if checkpoint.count == 0 or found.hashes_at.get(checkpoint.count) == checkpoint.head:
            return checkpoint
    return None


def _against(found: Walk, reading: Reading) -> list[str]:
    """Why a whole-chain walk does not reach the latest checkpoint, if it does not."""
    latest = reading.latest
    if latest is None or latest.count == 0 or found.broken or found.missing:
        return []
    if found.hashes_at.get(latest.count) == latest.head:
        return []
    when = _when(latest.at)
    if found.count < latest.count:
        words = (f"TRUNCATED: the log holds {found.count} rows but the signed checkpoint of "
                 f"{when} recorded {latest.count}: {latest.count - found.count} or more entries "
                 "are missing")
    else:
        words = (f"TRUNCATED: row {latest.count} is not the one the signed checkpoint of {when} "
                 "recorded: entries were removed or replaced")
    match = _matching(found, reading.since_restore()[:-1])
    if match is not None:
        words += (f". The log matches the earlier checkpoint of {_when(match.at)} "
                  f"({match.count} rows), as after restoring a backup taken after that checkpoint")
    return [words]


def _since(latest: Checkpoint) -> tuple[Walk, list[str]]:
    """Walk only the rows after the latest checkpoint, once its last row is found unchanged."""
    kept = AccessLog.objects.filter(pk=latest.last_id).values_list("hash", flat=True).first()
    if kept != latest.head:
        state = "missing" if kept is None else "not the one recorded"
        return Walk(), [f"TRUNCATED: the last entry the signed checkpoint of {_when(latest.at)} "
                        f"recorded (row {latest.count}) is {state}: entries were removed or "
                        "replaced, as by restoring an older backup. Verify the whole chain to "
                        "find the checkpoint the log matches"]
    return walk(after=(latest.last_id or 0, latest.head, latest.count)), []


def _read() -> tuple[Reading, str]:
    try:
        return store.read(), ""
    except ImproperlyConfigured as exc:
        log.error("access-log checkpoints not checked: %s", exc)
        return Reading([], []), "checkpoints not checked: AUDIT_CHECKPOINT_KEY is not set"


def chain_verify(*, source: str, since_checkpoint: bool = False) -> Verdict:
    """Walk the chain now (the whole of it, or only the rows after the latest checkpoint) and
    compare it with the latest signed checkpoint; record the outcome."""
    started = timezone.now()
    reading, unchecked = _read()
    latest = reading.latest
    if since_checkpoint and latest is not None and latest.count:
        found, cut = _since(latest)
        note = f"new rows since the signed checkpoint of {_when(latest.at)}"
    else:
        found = walk(positions={c.count for c in reading.since_restore()})
        cut = _against(found, reading)
        note = (f"matches the signed checkpoint of {_when(latest.at)}" if latest is not None
                else "no signed checkpoint to compare with")
    problems = [p for p in [_link_problem(found), *cut, *reading.problems] if p]
    record = ChainVerification.objects.create(
        started_at=started, finished_at=timezone.now(), source=source,
        rows_checked=found.checked, intact=not problems,
        first_bad_row_id=found.broken.pk if found.broken is not None else None,
        detail=("; ".join(problems) if problems else unchecked or note)[:DETAIL_LENGTH])
    if problems:
        log.error("access log BROKEN after %s good rows: %s", found.checked, "; ".join(problems))
    else:
        log.info("access log intact: %s rows verified (%s)", found.checked, note)
    return Verdict(record, problems, unchecked or note)


def _refuse(source: str, found: Walk, words: str) -> CheckpointRefused:
    now = timezone.now()
    ChainVerification.objects.create(
        started_at=now, finished_at=now, source=source, rows_checked=found.checked,
        intact=False, first_bad_row_id=found.broken.pk if found.broken is not None else None,
        detail=words[:DETAIL_LENGTH])
    log.error("access-log checkpoint refused: %s", words)
    return CheckpointRefused(words)


def checkpoint_take(*, source: str) -> Checkpoint:
    """Check the rows added since the latest checkpoint and, if the chain continues it
    unbroken, write a new signed checkpoint at the chain head."""
    latest = store.read().latest  # production settings refuse here without the key
    if latest is not None and latest.count:
        found, cut = _since(latest)
    else:
        found, cut = walk(), []
    problems = [p for p in [_link_problem(found), *cut] if p]
    if problems:
        raise _refuse(source, found, "; ".join(problems))
    checkpoint = Checkpoint(at=timezone.now(), count=found.count, head=found.last_hash,
                            last_id=found.last_id)
    store.append(checkpoint)
    log.info("access-log checkpoint written: %s rows", checkpoint.count)
    return checkpoint


def checkpoint_after_restore(*, source: str) -> tuple[Checkpoint, Checkpoint | None]:
    """Record that the database was restored from a backup: the whole chain must be unbroken
    and continue an earlier checkpoint; a signed restore record then supersedes the later
    checkpoints (which name entries the backup did not hold). Returns it and the checkpoint
    the restored log continues."""
    reading = store.read()
    history = reading.since_restore()
    found = walk(positions={c.count for c in history})
    broken = _link_problem(found)
    if broken:
        raise _refuse(source, found, broken)
    latest = reading.latest
    match = _matching(found, history)
    if latest is not None and match is None:
        raise _refuse(source, found, "the log continues none of the signed checkpoints: it is "
                                     "not a backup of this service's access log")
    if latest is None or match is latest:
        return checkpoint_take(source=source), latest
    assert match is not None  # noqa: S101 - for the type checker: latest is not None here
    checkpoint = Checkpoint(
        at=timezone.now(), count=found.count, head=found.last_hash, last_id=found.last_id,
        kind=Kind.RESTORE,
        note={"continues": {"at": match.at.isoformat(), "count": match.count},
              "supersedes": {"at": latest.at.isoformat(), "count": latest.count}})
    store.append(checkpoint)
    log.warning("access log restored: continues the checkpoint of %s (%s rows); the checkpoint "
                "of %s (%s rows) is superseded", match.at, match.count, latest.at, latest.count)
    return checkpoint, match


def last_chain_verification() -> ChainVerification | None:
    return ChainVerification.objects.order_by("-finished_at", "-pk").first()
