"""The schemes a force runs, and the start data of a new case of one of them.

A force runs each scheme through one ``SchemeDeployment``: the active version, a time-limit
profile and the force's overlay (values for the scheme's declared parameters). A case starts
with ``scheme.defaults() | profile.limits | deployment.parameters``, checked against the
declared parameter types: a value the declaration does not know is refused, never passed on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection

from engine.scheme import Scheme
from engine.scheme_check import parameter_value_problem
from webapp.errors import ServiceError
from webapp.forces.models import Force, Membership, SchemeDeployment, Team, TimeLimitProfile
from webapp.processes.registry import scheme_for
from webapp.row_sql import columns, from_row


def deployments_of(force_id: int) -> list[SchemeDeployment]:
    """The force's schemes, in the order of their process ids."""
    return list(SchemeDeployment.objects.filter(force_id=force_id)
                .select_related("time_limit_profile").order_by("scheme"))


def read_with_force(membership: Membership) -> list[SchemeDeployment]:
    """The force's schemes, in the order of their process ids, read in the statement that reads
    the membership's force (which every page's layout names): the force is set on the
    membership, so a list page's schemes cost no statement of their own and are never stale.
    Their time-limit profiles are not read (the lists show titles and stages only)."""
    if Membership.force.is_cached(membership):
        found = deployments_of(membership.force_id)
        for deployment in found:
            deployment.force = membership.force
        return found
    force_meta, deployed = Force._meta, SchemeDeployment._meta
    quote = connection.ops.quote_name
    sql = (f"SELECT {columns(force_meta.concrete_fields, 'f')}, "
           f"{columns(deployed.concrete_fields, 'd')} FROM {quote(force_meta.db_table)} f "
           f"LEFT JOIN {quote(deployed.db_table)} d ON d.force_id = f.id "
           "WHERE f.id = %s ORDER BY d.scheme")
    with connection.cursor() as cursor:
        cursor.execute(sql, [membership.force_id])
        rows = cursor.fetchall()
    split = len(force_meta.concrete_fields)
    force = from_row(Force, rows[0][:split])
    membership.force = force
    found = []
    for row in rows:
        if row[split] is not None:  # a force with no scheme: one row, no deployment
            deployment = from_row(SchemeDeployment, row[split:])
            deployment.force = force
            found.append(deployment)
    return found


def scheme_choices(force_id: int, *, taking_cases: bool = False,
                   deployments: list[SchemeDeployment] | None = None
                   ) -> list[tuple[str, Scheme]]:
    """(process id, declarations of the active version) of every scheme the force runs (only
    those taking new cases with ``taking_cases``: an administrator may stop one).
    ``deployments``: the force's, when the page has read them already."""
    every = deployments_of(force_id) if deployments is None else deployments
    return [(d.scheme, scheme_for(d.active_version_id)) for d in every
            if d.running or not taking_cases]


def scheme_titles(force_id: int,
                  deployments: list[SchemeDeployment] | None = None) -> dict[str, str]:
    """Process id -> the short title people read, for the force's schemes."""
    return {key: scheme.short_title or scheme.title or key
            for key, scheme in scheme_choices(force_id, deployments=deployments)}


def deployment_for(force: Force, scheme: str | None) -> SchemeDeployment:
    """The force's deployment of ``scheme``; with no scheme named, its only one."""
    every = deployments_of(force.pk)
    if any(d.scheme == scheme and not d.running for d in every):
        raise ServiceError("conflict", f"{force.name} has stopped taking new cases of this "
                                       "scheme; cases already open go on.")
    found = [d for d in every if d.running]
    if not found:
        raise ServiceError("conflict", f"{force.name} has no process taking new cases.")
    for deployment in found:
        deployment.force = force  # named in the start data's checks: no second read
    if not scheme:
        if len(found) > 1:
            raise ServiceError("invalid", f"{force.name} runs several schemes: choose one.",
                               field_errors={"scheme": ["Choose a scheme."]})
        return found[0]
    for deployment in found:
        if deployment.scheme == scheme:
            return deployment
    raise ServiceError("invalid", f"{force.name} does not run the scheme '{scheme}'.",
                       field_errors={"scheme": ["Choose one of your force's schemes."]})


def checked_parameters(scheme: Scheme, values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``values`` if every one is a declared parameter with a valid value; else a refusal
    naming the parameter and where it came from (``source``)."""
    for name, value in values.items():
        parameter = scheme.parameters.get(name)
        if parameter is None:
            known = ", ".join(sorted(scheme.parameters)) or "none"
            raise ServiceError("conflict", f"{source} sets '{name}', which the scheme "
                                           f"'{scheme.title}' does not declare (it declares: "
                                           f"{known}).")
        problem = parameter_value_problem(parameter, value)
        if problem:
            raise ServiceError("conflict", f"{source} sets '{name}' to {value!r}: {problem}.")
    return dict(values)


def start_parameters(deployment: SchemeDeployment, scheme: Scheme | None = None) -> dict[str, Any]:
    """A new case's parameters: the declared defaults, the profile's limits, the force's
    overlay (later ones win)."""
    scheme = scheme or scheme_for(deployment.active_version_id)
    profile = deployment.time_limit_profile
    limits = checked_parameters(scheme, profile.limits if profile else {},
                                f"The time-limit profile '{profile}'")
    overlay = checked_parameters(scheme, deployment.parameters or {},
                                 f"The {deployment.force} overlay")
    return {**scheme.defaults(), **limits, **overlay}


def deployment_sql(scheme: str = "%s") -> str:
    """The statement of ``deployment_of_case``: parameters the force id, then the scheme's (a
    placeholder, or a scalar subquery and its parameters)."""
    deployed, profile = SchemeDeployment._meta, TimeLimitProfile._meta
    quote = connection.ops.quote_name
    return (f"SELECT {columns(deployed.concrete_fields, 'd')}, "
            f"{columns(profile.concrete_fields, 'p')} FROM {quote(deployed.db_table)} d "
            f"LEFT JOIN {quote(profile.db_table)} p ON p.id = d.time_limit_profile_id "
            f"WHERE d.force_id = %s AND d.scheme = {scheme}")


def deployment_from_row(row: Sequence[Any]) -> SchemeDeployment:
    """A row of ``deployment_sql`` as the deployment with its time-limit profile."""
    split = len(SchemeDeployment._meta.concrete_fields)
    deployment = from_row(SchemeDeployment, row[:split])
    deployment.time_limit_profile = (from_row(TimeLimitProfile, row[split:])
                                     if row[split] is not None else None)
    return deployment


def deployment_of_case(force_id: int, scheme: str) -> SchemeDeployment | None:
    """The deployment a case's force runs its scheme under, with its time-limit profile (None
    if the force stopped running it). Every case step reads it: one statement written as SQL,
    without the ORM's query building (see ``webapp.cases.step_sql``)."""
    with connection.cursor() as cursor:
        cursor.execute(deployment_sql(), [force_id, scheme])
        row = cursor.fetchone()
    return deployment_from_row(row) if row is not None else None


DEFAULT_WARNING_FRACTION = 0.75


def case_limits(case: Any) -> tuple[dict[str, Any], float]:
    """The parameters a case's clocks read (its version's defaults with the force's profile
    for its scheme, as the force has them now) and the profile's warning fraction.

    Cached on the case object: a step reads them once."""
    cached = getattr(case, "_deployment_limits", None)
    if cached is not None:
        return cached
    scheme = scheme_for(case.version_id)
    deployment = _case_deployment(case)
    profile = deployment.time_limit_profile if deployment is not None else None
    values = scheme.defaults()
    if profile is not None:
        values.update({k: v for k, v in profile.limits.items() if k in scheme.parameters})
    if deployment is not None:
        values.update({k: v for k, v in (deployment.parameters or {}).items()
                       if k in scheme.parameters})
    result = (values, profile.warning_fraction if profile else DEFAULT_WARNING_FRACTION)
    case._deployment_limits = result
    return result


def _case_deployment(case: Any) -> SchemeDeployment | None:
    if not hasattr(case, "_deployment"):
        case._deployment = deployment_of_case(case.force_id, case.scheme)
    return case._deployment


def lane_team_ids(case: Any) -> dict[str, int]:
    """Lane -> id of the team the case's force routes that lane's new tasks to."""
    deployment = _case_deployment(case)
    routes = (deployment.lane_teams or {}) if deployment is not None else {}
    if not routes:
        return {}
    ids = dict(Team.objects.filter(force_id=case.force_id, name__in=set(routes.values()))
               .values_list("name", "pk"))
    return {lane: ids[team] for lane, team in routes.items() if team in ids}
