"""The case page's own rows of one case, read in one statement: its events, notes, documents,
open tasks, clocks, clock pauses and pending extensions, each officer named with their
membership (the collar number shown beside a name).

Seven short lists of one case: read one by one through the ORM they were seven round trips
and seven statements built in Python, more Python than PostgreSQL spends on them
(``webapp.row_sql.read_parts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from webapp.cases.evidence_models import Attachment, CaseNote
from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState
from webapp.clocks.models import CaseClock, ClockEvent, ExtensionRequest
from webapp.forces.models import Membership
from webapp.row_sql import Part, column, read_parts, table

PAUSES = ("paused", "resumed")  # the clock events the clocks table shows


@dataclass(frozen=True)
class CaseRows:
    """What the case page shows of the case's own rows, each list in the page's order."""

    events: list[CaseEvent]  # by time
    notes: list[CaseNote]  # by time
    attachments: list[Attachment]  # by time, erased ones too (the timeline keeps them)
    open_tasks: list[HumanTask]  # soonest due first, those with no limit last
    clocks: list[CaseClock]  # by start
    pauses: list[ClockEvent]  # the clocks' pauses and resumptions, by time
    extensions: list[ExtensionRequest]  # awaiting a decision, by request


def _with_officer(model: type[models.Model], officer: str, where: str,
                  params: tuple[Any, ...]) -> Part:
    """The rows of ``model`` with the user its ``officer`` key names and their membership."""
    user = get_user_model()
    user_id = f"u.{column(user, 'id')}"
    return Part(((model, "r"), (user, "u"), (Membership, "m")),
                f"FROM {table(model)} r "
                f"LEFT JOIN {table(user)} u ON {user_id} = r.{column(model, officer)} "
                f"LEFT JOIN {table(Membership)} m "
                f"ON m.{column(Membership, 'user')} = {user_id} WHERE {where}", params)


def _own(model: type[models.Model], where: str, params: tuple[Any, ...]) -> Part:
    return Part(((model, "r"),), f"FROM {table(model)} r WHERE {where}", params)


def _named(rows: list[tuple[Any, ...]], officer: str) -> list[Any]:
    """Each row with its officer (and the officer's membership) attached as select_related
    would: the templates name them without a read of their own."""
    found = []
    for row, user, membership in rows:
        if user is not None:
            Membership._meta.get_field("user").remote_field.set_cached_value(user, membership)
            if membership is not None:
                Membership._meta.get_field("user").set_cached_value(membership, user)
        row._meta.get_field(officer).set_cached_value(row, user)
        found.append(row)
    return found


def case_rows(case: Case) -> CaseRows:
    """The case's events, notes, documents, open tasks, clocks, pauses and pending extensions
    (one statement)."""
    pk = (case.pk,)
    case_id = "r.case_id = %s"
    events, notes, attachments, tasks, clocks, pauses, extensions = read_parts([
        _with_officer(CaseEvent, "actor", case_id, pk),
        _with_officer(CaseNote, "author", case_id, pk),
        _with_officer(Attachment, "uploaded_by", case_id, pk),
        _with_officer(HumanTask, "assignee", f"{case_id} AND r.state = %s",
                      (case.pk, TaskState.READY)),
        _own(CaseClock, case_id, pk),
        _own(ClockEvent, f"{case_id} AND r.kind IN (%s, %s)", (case.pk, *PAUSES)),
        _with_officer(ExtensionRequest, "requested_by", f"{case_id} AND r.approved IS NULL",
                      pk),
    ])
    return CaseRows(
        events=sorted(_named(events, "actor"), key=lambda e: (e.at, e.pk)),
        notes=sorted(_named(notes, "author"), key=lambda n: (n.at, n.pk)),
        attachments=sorted(_named(attachments, "uploaded_by"),
                           key=lambda a: (a.uploaded_at, a.pk)),
        open_tasks=sorted(_named(tasks, "assignee"),
                          key=lambda t: (t.due_at is None, t.due_at or t.created_at, t.pk)),
        clocks=sorted((row for row, in clocks), key=lambda c: (c.started_at, c.pk)),
        pauses=sorted((row for row, in pauses), key=lambda e: (e.at, e.pk)),
        extensions=sorted(_named(extensions, "requested_by"),
                          key=lambda x: (x.requested_at, x.pk)),
    )
