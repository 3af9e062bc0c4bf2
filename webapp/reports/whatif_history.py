"""What-if on a process version: a force's case history (arrivals and how long each step took)
read as figures only, and the simulation run on a candidate version and the deployed one.

Only counts and times leave the database: no case reference, person or form data. Reading the
history is logged in the access log as a consultation of aggregate case history.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import Definition
from engine.whatif import Arrival, Inputs, Result, WhatIfInvalid, simulate
from engine.whatif_paths import clock_rules, paths_of
from engine.working_hours import OFFICE_HOURS, WorkingHours
from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.cases.models import Case, CaseEvent, EventKind, HumanTask
from webapp.clocks.arithmetic import LOCAL, add_limit
from webapp.forces.models import Force, Membership, SchemeDeployment
from webapp.processes.deployments import start_parameters
from webapp.processes.registry import definition_for

log = logging.getLogger(__name__)

MONTH = timedelta(days=365.25 / 12)
MIN_CLAIMED_WORK = 300.0  # a task filled in at one sitting after its claim: take created→done
SEED = 1


@dataclass(frozen=True)
class History:
    """A force's arrivals and step durations (working seconds) since ``since``."""

    since: datetime
    epoch: datetime  # the Monday 00:00 (local) the simulated times count from
    arrivals: tuple[Arrival, ...]
    durations: Mapping[str, tuple[float, ...]]
    tasks: int


@dataclass(frozen=True)
class Comparison:
    candidate: Result
    deployed: Result | None
    history: History
    deployed_label: str


def _epoch(since: datetime) -> datetime:
    local = since.astimezone(LOCAL)
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=LOCAL)


def _seconds(moment: datetime, epoch: datetime) -> float:
    """Local wall-clock seconds from ``epoch`` (so 09:00 is 09:00 on both sides of a change)."""
    local = moment.astimezone(LOCAL).replace(tzinfo=None)
    return (local - epoch.replace(tzinfo=None)).total_seconds()


def history(force: Force, scheme: str, months: int, *, now: datetime | None = None) -> History:
    """The force's cases of ``scheme`` opened in the last ``months`` and their finished steps.

    A step's time is its working time (Monday to Friday, 08:00 to 18:00) from its claim to its
    completion; when that is under five minutes (filled in at one sitting) or it was never
    claimed, from its being offered to its completion.
    """
    since = (now or timezone.now()) - months * MONTH
    cases = list(Case.objects.filter(force=force, scheme=scheme, opened_at__gte=since)
                 .order_by("opened_at").values_list("pk", "opened_at", "status", "outcome_codes"))
    # the weeks count from the first case's (a force new to the scheme has no empty weeks)
    epoch = _epoch(cases[0][1] if cases else since)
    arrivals = tuple(Arrival(_seconds(opened, epoch),
                             frozenset(codes or ()) if status != "open" else frozenset())
                     for _pk, opened, status, codes in cases)
    claims: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for case_id, bpmn_id, at in (CaseEvent.objects.filter(
            case__force=force, case__scheme=scheme, kind=EventKind.CLAIMED, at__gte=since)
            .values_list("case_id", "bpmn_id", "at")):
        claims[(case_id, bpmn_id)].append(at)
    durations: dict[str, list[float]] = defaultdict(list)
    tasks = 0
    for case_id, bpmn_id, created, completed in (HumanTask.objects.filter(
            force=force, case__scheme=scheme, created_at__gte=since, completed_at__isnull=False)
            .order_by("pk").values_list("case_id", "bpmn_id", "created_at", "completed_at")):
        start, end = _seconds(created, epoch), _seconds(completed, epoch)
        claimed = [c for c in claims.get((case_id, bpmn_id), ()) if created <= c <= completed]
        work = OFFICE_HOURS.between(_seconds(max(claimed), epoch), end) if claimed else 0.0
        if work < MIN_CLAIMED_WORK:
            work = OFFICE_HOURS.between(start, end)
        if work > 0:
            durations[bpmn_id].append(work)
            tasks += 1
    return History(since, epoch, arrivals, {k: tuple(v) for k, v in durations.items()}, tasks)


def _limits(definition: Definition, deployment: SchemeDeployment | None,
            epoch: datetime) -> dict[str, float]:
    """The clocks' limits as the force would start a case on ``definition``, in seconds."""
    scheme = definition.scheme
    values = start_parameters(deployment, scheme) if deployment else scheme.defaults()
    limits = {}
    for clock in scheme.clocks:
        iso = values.get(clock.limit)
        if isinstance(iso, str) and iso:
            limits[clock.limit] = (add_limit(epoch, iso) - epoch).total_seconds()
    return limits


def run_on(definition: Definition, past: History, staffing: Mapping[str, int],
           hours: WorkingHours, deployment: SchemeDeployment | None) -> Result:
    """Simulate ``past`` on ``definition`` (raises ``WhatIfInvalid`` with words to show)."""
    return simulate(Inputs(paths_of(definition), past.arrivals, past.durations, staffing, hours,
                           clock_rules(definition, _limits(definition, deployment, past.epoch)),
                           SEED))


def roles_of(definition: Definition) -> list[str]:
    """The roles working a step on some path through ``definition``, in path order."""
    roles: list[str] = []
    for path in paths_of(definition):
        roles.extend(s.role for s in path.steps if s.role not in roles)
    return roles


def staff_counts(force: Force) -> dict[str, int]:
    """How many active members of the force hold each role now (the staffing shown first)."""
    counts: dict[str, int] = defaultdict(int)
    for roles in Membership.objects.filter(force=force, user__is_active=True).values_list(
            "roles", flat=True):
        for role in roles or ():
            counts[role] += 1
    return counts


def compare(*, user: AbstractBaseUser, force: Force, candidate: Definition, months: int,
            staffing: Mapping[str, int], hours: WorkingHours) -> Comparison:
    """Run the force's history on ``candidate`` and on the version it runs now."""
    deployment = (SchemeDeployment.objects.filter(force=force, scheme=candidate.process_id)
                  .select_related("time_limit_profile", "active_version", "force").first())
    past = history(force, candidate.process_id, months)
    with transaction.atomic():
        record(actor=user, operation=Operation.CONSULT, object_type="case history (aggregate)",
               object_id=force.code, fields=["opened", "outcome", "task times"],
               justification=f"What-if simulation over {months} months of "
                             f"{candidate.process_id} cases ({len(past.arrivals)} cases)")
    result = run_on(candidate, past, staffing, hours, deployment)
    deployed, label = None, ""
    if deployment is not None and deployment.active_version_id is not None:
        label = str(deployment.active_version)
        try:
            deployed = run_on(definition_for(deployment.active_version), past, staffing, hours,
                              deployment)
        except WhatIfInvalid:
            deployed = None  # e.g. the deployed version has a role the form left at 0
    log.info("what-if run: force=%s scheme=%s months=%s cases=%s tasks=%s", force.code,
             candidate.process_id, months, len(past.arrivals), past.tasks)
    return Comparison(result, deployed, past, label)
