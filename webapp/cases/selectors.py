"""Reads for the inbox. Always scoped to the user's force; never deserialize a workflow."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone

from webapp.cases.access import routed_to, visible
from webapp.cases.case_filters import CaseQuery
from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState
from webapp.cases.person_search import case_match
from webapp.cases.worklist import PAGE, WorkQuery
from webapp.forces.models import Membership, SchemeDeployment
from webapp.permissions import may_work, worked_roles
from webapp.processes.deployments import deployments_of, scheme_titles
from webapp.processes.registry import definition_for_id
from webapp.row_sql import Part, column, read_parts, table

# What a task row shows (the case's risk markers are named by its version's scheme).
TASK_ROW = ("id", "name", "stage", "due_at", "created_at", "lane", "at_risk", "case__reference",
            "case__stage", "case__risks", "case__version_id", "case__scheme")


def my_tasks(membership: Membership, scheme: str = "",
             query: WorkQuery | None = None) -> QuerySet[HumanTask]:
    """Ready tasks assigned to the user, filtered and sorted by ``query`` (by default those of
    cases at risk first, then soonest due). The user's own ready tasks are few: read through
    ``task_mine_risk`` whatever the sort."""
    query = query or WorkQuery(scheme=scheme)
    return _assigned(membership, membership.user_id, query)


def _assigned(membership: Membership, user_id: int, query: WorkQuery) -> QuerySet[HumanTask]:
    qs = HumanTask.objects.filter(assignee_id=user_id, state=TaskState.READY,
                                  force_id=membership.force_id)
    return (query.apply(qs, timezone.now()).select_related("case").only(*TASK_ROW)
            .order_by(*query.order_expressions))


def _roles(membership: Membership) -> list[str]:
    """The working roles the user holds: the queue holds the tasks of the lanes they map to."""
    return worked_roles(membership)


def _waiting(membership: Membership, query: WorkQuery) -> QuerySet[HumanTask]:
    """Unassigned ready tasks of the force routed to the user's team or to no team."""
    qs = HumanTask.objects.filter(force_id=membership.force_id, state=TaskState.READY,
                                  assignee__isnull=True)
    return query.apply(qs.filter(routed_to(membership)), timezone.now())


def queue(membership: Membership, scheme: str = "",
          query: WorkQuery | None = None) -> QuerySet[HumanTask]:
    """Unassigned ready tasks in lanes the user's roles may work, of their team or none: at
    risk first, then by due (or as ``query`` filters and sorts them)."""
    query = query or WorkQuery(scheme=scheme)
    return (_waiting(membership, query).filter(role__in=_roles(membership))
            .select_related("case").only(*TASK_ROW).order_by(*query.order_expressions))


def queue_page_ids(membership: Membership, limit: int = PAGE, scheme: str = "",
                   query: WorkQuery | None = None, offset: int = 0) -> QuerySet[Any] | None:
    """(at risk, due, received, id) of queue tasks ``offset`` to ``offset + limit``, one index
    scan per lane, or None where one query does as well (a single lane, or a database without
    ordered compound queries).

    PostgreSQL cannot merge per-lane scans of ``lane IN (…) ORDER BY due_at``: it reads every
    waiting task of the lanes and sorts them (3–4 ms for an officer whose lanes are rare, with
    2,500 waiting). Each lane's ``ORDER BY due_at LIMIT n`` stops after n rows of its index.
    """
    query = query or WorkQuery(scheme=scheme)
    roles = _roles(membership)
    if len(roles) <= 1 or not connection.features.supports_slicing_ordering_in_compound:
        return None
    per_lane = [_waiting(membership, query).filter(role=role).order_by(*query.order)
                .values_list("at_risk", "due_at", "created_at", "id")[:offset + limit]
                for role in roles]
    return per_lane[0].union(*per_lane[1:], all=True).order_by(*query.order)[offset:
                                                                              offset + limit]


def queue_page(membership: Membership, limit: int = PAGE, scheme: str = "",
               query: WorkQuery | None = None, offset: int = 0) -> list[HumanTask]:
    """Tasks ``offset`` to ``offset + limit`` of the team queue, as ``query`` filters and
    sorts them (by default of every scheme, at risk first, then soonest due)."""
    query = query or WorkQuery(scheme=scheme)
    ids = queue_page_ids(membership, limit, query=query, offset=offset)
    if ids is None:
        return list(queue(membership, query=query)[offset:offset + limit])
    order = [row[-1] for row in ids]
    found = {task.pk: task for task in queue(membership, query=query).filter(pk__in=order)}
    return [found[pk] for pk in order if pk in found]  # a task claimed meanwhile drops out


def assigned_page(membership: Membership, user_id: int, query: WorkQuery,
                  limit: int = PAGE, offset: int = 0) -> list[HumanTask]:
    """A colleague's ready tasks (a supervisor's view of the team queue), as ``query`` filters
    and sorts them; ``user_id`` must be one of ``team_officers``."""
    return list(_assigned(membership, user_id, query)[offset:offset + limit])


def team_officers(membership: Membership) -> list[Membership]:
    """The officers of the user's team (or force, without a team) who work tasks."""
    qs = Membership.objects.filter(force_id=membership.force_id).select_related("user")
    if membership.team_id:
        qs = qs.filter(team_id=membership.team_id)
    return [m for m in qs.order_by("user__username") if worked_roles(m)]


def cases(membership: Membership, *, text: str = "", status: str = "",
          stage: str = "", scheme: str = "", query: CaseQuery | None = None,
          others: bool = False) -> QuerySet[Case]:
    """Search the force's cases by reference or person (``person_search``), status, stage and
    scheme (or by everything a ``query`` names: the dashboard's links).

    Only the cases the user may see; with search words and ``others``, the matches of the
    whole force, each with ``shown`` saying whether the user may see it (the page shows the
    others only as "a case exists" with the break-glass route; the API never asks for them),
    unless other filters than the scheme are given."""
    if query is None:
        query = CaseQuery(text=text, status=status, stage=stage, scheme=scheme)
    mine = visible(membership)
    text = query.text.strip()
    # a filter beyond the words (status, stage, clocks) would tell about a case outside the
    # user's work: then only the cases they may see
    if text and others and replace(query, text="", scheme="").is_empty():
        qs = Case.objects.filter(force_id=membership.force_id).annotate(
            shown=ExpressionWrapper(mine, output_field=BooleanField()))
    else:
        qs = Case.objects.filter(mine)
    if text:
        qs = qs.filter(case_match(text, membership.roles, membership.force_id))
    qs = query.apply(qs, timezone.now())
    return qs.only("reference", "scheme", "status", "stage", "opened_at", "parties", "risks",
                   "version_id", "outcome_codes", "closed_at",
                   "next_due_at").order_by("-opened_at", "-id")


def stages(membership: Membership, scheme: str = "",
           deployments: list[SchemeDeployment] | None = None) -> list[str]:
    """Stage names to filter by: those of the force's active versions (of one scheme if
    named; no scan of its cases). ``deployments``: the force's, when already read."""
    names: set[str] = set()
    every = deployments_of(membership.force_id) if deployments is None else deployments
    for deployment in every:
        if not scheme or deployment.scheme == scheme:
            names.update(definition_for_id(deployment.active_version_id).stage_names())
    return [*sorted(names), "Closed"]


def case_detail(membership: Membership, reference: str) -> Case | None:
    """The case of the user's force with this reference, with its version, who opened it, its
    owner (and their membership: the collar number) and its force: one statement, written
    without the ORM (every case page's first read; the ORM built it in 1–2 ms of Python).
    The version's files and spec and the case's workflow state are large and never shown
    here: they stay in the database unless touched (the diagram's marks are stored beside
    the state: ``Case.marks``). The force read is also the user's (``membership.force``,
    which the access log and the layout name): it is not read again."""
    user = get_user_model()
    version, force = Case._meta.get_field("version"), Case._meta.get_field("force")
    rows = read_parts([Part(
        ((Case, "c"), (version.related_model, "v"), (user, "o"), (user, "w"),
         (Membership, "wm"), (force.related_model, "f")),
        f"FROM {table(Case)} c JOIN {table(version.related_model)} v ON v.id = c.version_id "
        f"JOIN {table(user)} o ON o.id = c.opened_by_id "
        f"LEFT JOIN {table(user)} w ON w.id = c.owner_id "
        f"LEFT JOIN {table(Membership)} wm ON wm.{column(Membership, 'user')} = w.id "
        f"JOIN {table(force.related_model)} f ON f.id = c.force_id "
        f"WHERE c.force_id = %s AND c.reference = %s",
        (membership.force_id, reference), defer=("c.state", "v.files", "v.spec_json"))])[0]
    if not rows:
        return None
    case, version_row, opened_by, owner, owner_membership, force_row = rows[0]
    version.set_cached_value(case, version_row)
    Case._meta.get_field("opened_by").set_cached_value(case, opened_by)
    Case._meta.get_field("owner").set_cached_value(case, owner)
    force.set_cached_value(case, force_row)
    if owner is not None:
        Membership._meta.get_field("user").remote_field.set_cached_value(owner, owner_membership)
    membership_force = Membership._meta.get_field("force")
    if not membership_force.is_cached(membership):  # the user's force is the case's: the
        membership_force.set_cached_value(membership, force_row)  # layout and log name it
    return case


def task_detail(membership: Membership, task_id: int) -> HumanTask | None:
    return (HumanTask.objects.select_related("case", "case__version", "assignee", "completed_by")
            .filter(force_id=membership.force_id, pk=task_id).first())


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor__membership").order_by("at", "pk")


def case_open_tasks(case: Case) -> QuerySet[HumanTask]:
    return case.tasks.filter(state=TaskState.READY).select_related("assignee").order_by("due_at")


def colleagues(membership: Membership, role: str) -> list[Membership]:
    """Officers in the same force (and team, if any) who hold ``role``."""
    qs = Membership.objects.filter(force_id=membership.force_id).select_related("user")
    if membership.team_id:
        qs = qs.filter(team_id=membership.team_id)
    return [m for m in qs.order_by("user__username") if may_work(m, role)]


def recorded_recently(membership: Membership, limit: int = 10) -> list[Case]:
    """The cases the user recorded, newest first, each with its scheme's short title (a
    contact handler's start page lists them)."""
    cases = list(Case.objects.filter(force_id=membership.force_id,
                                     opened_by_id=membership.user_id)
                 .only("reference", "scheme", "status", "stage", "opened_at")
                 .order_by("-opened_at", "-pk")[:limit])
    titles = scheme_titles(membership.force_id) if cases else {}
    for case in cases:
        case.scheme_title = titles.get(case.scheme, case.scheme)
    return cases
