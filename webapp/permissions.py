"""Who may do what: the one table of named actions and the roles that may take them.

Views, the API, templates and services all ask here (``require`` to refuse with a 403,
``allows`` to show or hide). Roles are the only thing decided here; like ``webapp.errors`` it
sits outside the app layers and imports only ``webapp.forces`` (roles, memberships), so every
app may call it. Need-to-know (whether a user
has a working relationship with one case) and second-person rules (a request is decided by
someone other than who made it) depend on case rows and live in ``webapp.cases.access``
(``may_act``, ``visible``, ``second_person_decide``); whether a role works a task is decided
by ``may_work`` below with the role the scheme's declaration gives the task's lane.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from webapp.errors import ServiceError
from webapp.forces.models import Membership, Role

NOT_ATTACHED = "Your account is not attached to a force."


class Action(StrEnum):
    START_CASE = "record_case"
    WITHDRAW = "withdraw"
    RELEASE_ANY = "release_any"
    ASSIGN = "assign"
    OWN_CASES = "own_cases"
    SUPERVISE = "supervise"
    MANAGE_CLOCKS = "manage_clocks"
    DECIDE_EXTENSIONS = "decide_extensions"
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"
    RETRY_INCIDENTS = "retry_incidents"
    SEE_DASHBOARD = "see_dashboard"
    SEE_WARNINGS = "see_warnings"
    USE_STUDIO = "use_studio"
    AUDIT = "audit"
    RETENTION = "retention"
    ADMINISTER = "administer_force"
    ADD_EVIDENCE = "add_evidence"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    refusal: str  # the plain words of the 403


def _rule(roles: Iterable[str], refusal: str) -> Rule:
    return Rule(frozenset(str(r) for r in roles), refusal)


# The roles that work a case's tasks (a scheme's lanes map onto these).
WORK_ROLES: tuple[str, ...] = (Role.CONTACT_HANDLER, Role.CASE_OFFICER, Role.DECISION_MAKER,
                               Role.DISCLOSURE_OFFICER)

RULES: dict[Action, Rule] = {
    Action.START_CASE: _rule([Role.CONTACT_HANDLER], "Only a contact handler may record a case."),
    Action.WITHDRAW: _rule(WORK_ROLES, "Your role may not do that."),
    Action.RELEASE_ANY: _rule([Role.DECISION_MAKER], "Only the assignee or a decision maker may "
                                                     "release this task."),
    Action.ASSIGN: _rule([Role.DECISION_MAKER], "Only a decision maker may assign tasks."),
    Action.OWN_CASES: _rule([Role.CASE_OFFICER], "Only a case officer may own a case."),
    Action.SUPERVISE: _rule([Role.DECISION_MAKER], "Only a decision maker supervises the unit."),
    Action.MANAGE_CLOCKS: _rule([Role.CASE_OFFICER, Role.DECISION_MAKER],
                                "Only a case officer or decision maker may do that."),
    Action.DECIDE_EXTENSIONS: _rule([Role.DECISION_MAKER], "Only a decision maker may do that."),
    Action.ACKNOWLEDGE_ALERTS: _rule([Role.DECISION_MAKER], "Only a decision maker may do that."),
    Action.RETRY_INCIDENTS: _rule([Role.DECISION_MAKER],
                                  "Only a decision maker may retry a failed case."),
    Action.SEE_DASHBOARD: _rule([Role.DECISION_MAKER, Role.POLICY_LEAD],
                                "The dashboard is for decision makers and policy leads."),
    Action.SEE_WARNINGS: _rule([Role.DECISION_MAKER], "Only a decision maker sees the worker "
                                                      "warnings."),
    Action.USE_STUDIO: _rule([Role.POLICY_LEAD], "Only a policy lead may change process "
                                                 "definitions."),
    Action.AUDIT: _rule([Role.AUDITOR], "Only an auditor reviews break-glass accesses."),
    Action.RETENTION: _rule([Role.AUDITOR], "Only an information manager (auditor) may do that."),
    Action.ADMINISTER: _rule([Role.FORCE_ADMIN], "Only a force administrator may do that."),
    Action.ADD_EVIDENCE: _rule(WORK_ROLES, "Only the officers working cases may add notes and "
                                           "documents."),
}

NOT_NATIONAL = "Only a national administrator may create forces."
# The roles a force's first administrator is given when a national administrator creates it.
ADMINISTRATOR_ROLES: tuple[str, ...] = (Role.FORCE_ADMIN,)


# Where each role's work is (URL names): a user lands on the first that one of their roles has,
# after signing in and on "/". Officers who work tasks first, then the supervisor's queue, the
# contact handler's new case, the policy lead's studio and the auditor's access log.
LANDINGS: tuple[tuple[str, str], ...] = (
    (Role.CASE_OFFICER, "cases:mine"),
    (Role.DISCLOSURE_OFFICER, "cases:mine"),
    (Role.DECISION_MAKER, "cases:queue"),
    (Role.CONTACT_HANDLER, "cases:start"),
    (Role.POLICY_LEAD, "studio:index"),
    (Role.AUDITOR, "audit:index"),
    (Role.FORCE_ADMIN, "administration:index"),
)
FALLBACK_LANDING = "cases:cases"
NATIONAL_LANDING = "administration:forces"


def landing(member_or_none: Membership | None, *, national: bool = False) -> str:
    """The URL name of the page where the membership's work is (a national administrator's,
    without a role in a force, is the list of forces)."""
    roles = set(member_or_none.roles) if member_or_none is not None else set()
    fallback = NATIONAL_LANDING if national else FALLBACK_LANDING
    return next((page for role, page in LANDINGS if role in roles), fallback)


def is_national_admin(user: Any) -> bool:
    """Whether the user is a national administrator: Django's staff flag, which nothing else
    in the product uses (there is no Django admin site), held by an active account."""
    return bool(getattr(user, "is_staff", False) and getattr(user, "is_active", False))


def require_national(user: Any) -> None:
    """A 403 in plain words unless the user is a national administrator."""
    if not is_national_admin(user):
        raise ServiceError("forbidden", NOT_NATIONAL)


def membership(user: Any) -> Membership | None:
    """The user's membership of a force, or None (anonymous, or attached to none)."""
    return getattr(user, "membership", None) if user is not None else None


def member(user: Any) -> Membership:
    """The user's membership, or a 403: every action needs a force."""
    found = membership(user)
    if found is None:
        raise ServiceError("forbidden", NOT_ATTACHED)
    return found


def allows(member_or_none: Membership | None, action: Action) -> bool:
    """Whether the membership may take ``action`` (False for no membership)."""
    return member_or_none is not None and bool(RULES[action].roles & set(member_or_none.roles))


def grants(roles: Iterable[str], action: Action) -> bool:
    """Whether a set of roles (one being given, not yet saved) may take ``action``."""
    return bool(RULES[action].roles & set(roles))


def require(user: Any, action: Action, refusal: str | None = None) -> Membership:
    """The user's membership if it may take ``action``; else a 403 in plain words (the
    table's, or ``refusal`` where a page words it for its own context)."""
    found = membership(user)
    if found is None or not allows(found, action):
        raise ServiceError("forbidden", refusal or RULES[action].refusal)
    return found


def may_work(member_or_none: Membership | None, role: str | None) -> bool:
    """Whether the membership holds ``role``, the role a scheme gives a task's lane."""
    return member_or_none is not None and role is not None and role in member_or_none.roles


def worked_roles(member_or_none: Membership | None) -> list[str]:
    """The work roles the membership holds, in the table's order."""
    if member_or_none is None:
        return []
    return [role for role in WORK_ROLES if role in member_or_none.roles]


def lanes_worked(member_or_none: Membership | None, lanes: dict[str, str]) -> set[str]:
    """Of a scheme's lanes (lane -> role), those whose role the membership holds."""
    return {lane for lane, role in lanes.items() if may_work(member_or_none, role)}


def role_label(role: str) -> str:
    """A role's name as people read it (lower case, for sentences)."""
    return Role(role).label.lower() if role in Role.values else role
