"""Append to the s.62 access log and verify its hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from webapp.audit.context import current
from webapp.audit.models import AccessLog, ChainHead
from webapp.row_sql import columns, insert

GENESIS = "0" * 64
HEAD_ID = 1  # the one chain head row


def _canonical(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)


def _digest(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(row)).encode()).hexdigest()


def _content(entry: AccessLog) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(), "actor": entry.actor_id,
        "actor_username": entry.actor_username, "actor_roles": entry.actor_roles,
        "force": entry.force_code, "operation": entry.operation,
        "object_type": entry.object_type, "object_id": entry.object_id,
        "fields": entry.fields, "justification": entry.justification,
        "recipients": entry.recipients, "request_id": entry.request_id,
        "client_address": entry.client_address,
    }


def entry_for(*, actor: AbstractBaseUser | None, operation: str, object_type: str,
              object_id: str | int, fields: Sequence[str] = (), justification: str = "",
              recipients: Sequence[str] = (), force_code: str = "") -> AccessLog:
    """An entry as ``record`` writes it, not yet written (for ``append``)."""
    membership = getattr(actor, "membership", None) if actor is not None else None
    info = current.get()
    return AccessLog(
        at=timezone.now(), actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "system",
        actor_roles=",".join(membership.roles) if membership else "",
        force_code=membership.force.code if membership else force_code,
        operation=operation, object_type=object_type, object_id=str(object_id)[:64],
        fields=list(fields), justification=justification[:500], recipients=list(recipients),
        request_id=info.request_id if info else "",
        client_address=info.client_address if info else "")


def record(*, actor: AbstractBaseUser | None, operation: str, object_type: str,
           object_id: str | int, fields: Sequence[str] = (), justification: str = "",
           recipients: Sequence[str] = (), force_code: str = "") -> AccessLog:
    """Log one operation (in the caller's transaction, so a rolled-back change logs nothing).

    ``force_code`` names the force for an entry no person made (a job, a timer), so that the
    force's auditors see it; a person's entry takes their force.

    The chain head stays locked until the caller commits: services record last, just before
    their commit, so that other writers wait as briefly as possible.
    """
    return append([entry_for(actor=actor, operation=operation, object_type=object_type,
                             object_id=object_id, fields=fields, justification=justification,
                             recipients=recipients, force_code=force_code)])[0]


def append(entries: Sequence[AccessLog]) -> Sequence[AccessLog]:
    """Chain ``entries`` onto the log in their order, as ``record`` does one (a page logging
    several operations writes them with one statement and one commit)."""
    one_statement = connection.vendor == "postgresql"
    # Outside a transaction (a page's read) the one statement is its own transaction: the head
    # is locked, the entries inserted and the head moved atomically, without BEGIN and COMMIT.
    alone = not connection.in_atomic_block and connection.get_autocommit()
    if one_statement and alone and _append_in_one_statement(entries):
        return entries
    with transaction.atomic(savepoint=False):
        if one_statement and _append_in_one_statement(entries):
            return entries
        head = _locked_head()
        if head is None:  # the very first entry: writers racing here must make one head only
            ChainHead.objects.bulk_create([ChainHead(pk=HEAD_ID, last_hash=GENESIS, count=0)],
                                          ignore_conflicts=True)
            head = _locked_head()
        last_hash = head.last_hash
        for entry in entries:
            entry.prev_hash = last_hash
            entry.hash = last_hash = _digest(last_hash, _content(entry))
            insert(entry)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_chainhead SET last_hash = %s, count = %s WHERE id = %s",
                           [last_hash, head.count + len(entries), head.pk])
    return entries


def _append_in_one_statement(entries: Sequence[AccessLog]) -> bool:
    """PostgreSQL: lock the head, insert the entries each chained onto the one before and move
    the head, in one statement (SHA-256 computed by the server over the same bytes as
    ``_digest``). False if there is no head yet (the general path makes it)."""
    meta = AccessLog._meta
    fields = [f for f in meta.concrete_fields
              if f is not meta.pk and f.attname not in {"prev_hash", "hash"}]
    # Typed placeholders: in INSERT … SELECT the target columns do not type the parameters.
    values = ", ".join(f"%s::{f.db_type(connection)}" for f in fields)
    parts = ["WITH head AS (SELECT id, last_hash, count FROM audit_chainhead ORDER BY id "
             "LIMIT 1 FOR UPDATE)"]
    params: list[Any] = []
    before = "head.last_hash"  # each entry reads the one before it: the order of the chain
    for number, entry in enumerate(entries, 1):
        source = "head" if number == 1 else f"e{number - 1}"
        parts.append(
            f"e{number} AS (INSERT INTO audit_accesslog ({columns(fields)}, prev_hash, hash) "
            f"SELECT {values}, {before}, "
            f"encode(sha256(convert_to({before} || %s, 'UTF8')), 'hex') "
            f"FROM {source} RETURNING id, prev_hash, hash)")
        params += [f.get_db_prep_save(f.pre_save(entry, add=True), connection) for f in fields]
        params.append(_canonical(_content(entry)))
        before = f"e{number}.hash"
    last = f"e{len(entries)}"
    parts.append(f"moved AS (UPDATE audit_chainhead SET last_hash = {last}.hash, "
                 f"count = head.count + {len(entries)} FROM head, {last} "
                 "WHERE audit_chainhead.id = head.id)")
    sql = (", ".join(parts) + " "
           + " UNION ALL ".join(f"SELECT {n}, id, prev_hash, hash FROM e{n}"
                                for n in range(1, len(entries) + 1)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(cursor.fetchall())
    if not rows:
        return False
    for entry, (_, pk, prev_hash, digest) in zip(entries, rows, strict=True):
        entry.pk, entry.prev_hash, entry.hash = pk, prev_hash, digest
        entry._state.adding, entry._state.db = False, connection.alias
    return True


def _locked_head() -> ChainHead | None:
    """The chain head, locked to the end of the transaction (SQL: this runs on every audited
    step, and the ORM's query building cost more than the statement)."""
    # Columns by name, not *: a prepared "SELECT *" fails once a migration adds a column.
    sql = ("SELECT id, last_hash, count FROM audit_chainhead ORDER BY id LIMIT 1 FOR UPDATE"
           if connection.features.has_select_for_update
           else "SELECT id, last_hash, count FROM audit_chainhead ORDER BY id LIMIT 1")
    found = list(ChainHead.objects.raw(sql))
    return found[0] if found else None


@dataclass
class Walk:
    """What a walk along the chain found: ``checked`` links checked, ending at row number
    ``count`` (from the start of the chain) with ``last_hash``; the first broken row, or why
    rows are missing at the end; the hash found at each position asked about."""

    checked: int = 0
    count: int = 0
    last_hash: str = GENESIS
    last_id: int | None = None
    broken: AccessLog | None = None
    missing: str = ""
    hashes_at: dict[int, str] = field(default_factory=dict)


def walk(*, after: tuple[int, str, int] | None = None,
         positions: Collection[int] = ()) -> Walk:
    """Check each link from the start (or from ``after`` = (row id, its hash, its row number),
    reading only the rows after it) up to the chain head as it was when the walk began: rows
    appended meanwhile are left for the next walk, so a busy log does not look broken."""
    head = ChainHead.objects.first()
    found = Walk()
    rows = AccessLog.objects.order_by("pk")
    if after is not None:
        found.last_id, found.last_hash, found.count = after
        rows = rows.filter(pk__gt=after[0])
    if head is not None and head.count <= found.count:
        rows = rows.none()
    for entry in rows.iterator(chunk_size=2000):
        if entry.prev_hash != found.last_hash or entry.hash != _digest(found.last_hash,
                                                                      _content(entry)):
            found.broken = entry
            return found
        found.checked, found.count = found.checked + 1, found.count + 1
        found.last_hash, found.last_id = entry.hash, entry.pk
        if found.count in positions:
            found.hashes_at[found.count] = entry.hash
        if head is not None and found.count == head.count:
            break
    if head is not None and (head.last_hash != found.last_hash or head.count != found.count):
        # Rows were removed from the end: the head remembers more than the table holds.
        found.missing = f"{head.count - found.count} row(s) missing at the end"
    return found


def verify() -> tuple[int, AccessLog | None]:
    """Walk the whole chain; return (rows checked, first broken row or None)."""
    found = walk()
    if found.missing:
        return found.checked, AccessLog(pk=None, object_type="chain head",
                                        object_id=found.missing)
    return found.checked, found.broken
