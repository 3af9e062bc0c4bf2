"""Demo data: two forces, an officer for each role, and cases spread over every stage.

Cases are made through the real services at back-dated times (time-machine), so their state,
tasks, clocks and timelines are exactly what officers would have produced; some are overdue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from webapp.cases import services
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.forces.models import DecisionRoute, Force, Membership, Role, Team, TimeLimitProfile
from webapp.processes.registry import version_from_folder

PASSWORD = "demo-password-2026"  # noqa: S105 - published demo accounts, never in production
PROFILES = [
    ("national-2011", "National 2011 (45 days)", "PT24H", "P10D", "P45D", "", ""),
    ("west-yorkshire", "West Yorkshire", "PT24H", "P10D", "P45D", "P10D", "P10D"),
    ("national-2023", "Current national guidance (28 days)", "PT24H", "P10D", "P28D", "", ""),
]
FORCES = [("HRT", "Hertfordshire", "national-2011", DecisionRoute.SINGLE),
          ("WAR", "Warwickshire", "national-2023", DecisionRoute.PANEL)]
ROLE_USERS = {Role.CONTACT_HANDLER: "contact", Role.CASE_OFFICER: "officer",
              Role.DECISION_MAKER: "decision", Role.DISCLOSURE_OFFICER: "disclosure",
              Role.POLICY_LEAD: "policy", Role.FORCE_ADMIN: "admin", Role.AUDITOR: "auditor"}
# Second persons, for the actions one asks and another approves (erasure, lifting a hold).
SECOND_USERS = [(Role.AUDITOR, "auditor2")]
LOGINS = [*ROLE_USERS.items(), *SECOND_USERS]

FIRST_NAMES = ["Sarah", "James", "Priya", "Tom", "Aisha", "Gareth", "Mei", "Olu", "Hannah",
               "Connor", "Zara", "Dylan", "Ruth", "Kwame", "Ellen"]
SURNAMES = ["Collins", "Baker", "Shah", "Reed", "Khan", "Evans", "Li", "Adeyemi", "Price",
            "Walsh", "Hussain", "Morgan", "Clarke", "Mensah", "Hughes"]


@dataclass(frozen=True)
class Plan:
    """How far a demo case goes: answer tasks until one in ``stop`` is offered."""

    days_ago: float
    stop: tuple[str, ...]
    overrides: dict[str, dict[str, Any]]
    withdraw: bool = False


_NO = {"decision": "no_disclosure", "disclosure_category": "not_applicable",
       "safeguarding_referral": False}
PLANS = [
    Plan(0.2, ("ut_initial_checks",), {}),
    Plan(2.5, ("ut_initial_checks",), {}),  # the 24-hour check is overdue
    Plan(4, ("ut_verification_interview",), {}),
    Plan(14, ("ut_verification_interview",), {}),  # the interview is overdue
    Plan(12, ("ut_police_checks",), {}),
    Plan(18, ("ut_risk_assessment",), {}),
    Plan(22, ("ut_decision", "ut_panel_decision"), {}),
    Plan(30, ("ut_plan_disclosure",), {}),
    Plan(50, ("ut_deliver_disclosure",), {}),  # past the overall limit
    Plan(35, (), {}),
    Plan(40, (), {"ut_decision": _NO, "ut_panel_decision": _NO}),
    Plan(8, (), {"ut_initial_checks": {"in_scope": False, "out_of_scope_reason": "other_scheme"}}),
    Plan(6, ("ut_verification_interview",), {}, withdraw=True),
    Plan(3, ("ut_immediate_risk_review",), {"ut_initial_checks": {
        "immediate_risk": True, "immediate_risk_details": "Child left alone with the subject"}}),
    Plan(9, ("ut_verification_interview",), {}),
]
TASK_FORMS = {
    "ut_initial_checks": "initial_checks", "ut_out_of_scope_advice": "out_of_scope_advice",
    "ut_verification_interview": "verification_interview", "ut_police_checks": "police_checks",
    "ut_intelligence_checks": "intelligence_checks", "ut_partner_checks": "partner_checks",
    "ut_risk_assessment": "risk_assessment", "ut_decision": "decision",
    "ut_panel_decision": "panel_decision", "ut_plan_disclosure": "disclosure_plan",
    "ut_deliver_disclosure": "disclosure_delivery", "ut_inform_subject": "subject_notification",
    "ut_no_disclosure_outcome": "no_disclosure_outcome",
    "ut_immediate_action": "immediate_action", "ut_immediate_risk_review": "immediate_risk_review",
    "ut_review_initial_breach": "breach_review", "ut_review_interview_breach": "breach_review",
    "ut_review_overall_breach": "breach_review",
}


def _samples() -> dict[str, Any]:
    folder = Path(settings.PROCESSES_DIR) / "csods" / "forms" / "samples"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def username(force_code: str, role: str) -> str:
    return f"{force_code.lower()}.{ROLE_USERS[Role(role)]}"


def demo_users() -> list[tuple[str, str, str]]:
    return [(f"{code.lower()}.{login}", name, Role(role).label)
            for code, name, _, _ in FORCES for role, login in LOGINS]


def _setup() -> dict[str, dict[str, Any]]:
    for code, name, initial, interview, overall, assessment, decision in PROFILES:
        TimeLimitProfile.objects.update_or_create(code=code, defaults={
            "name": name, "initial": initial, "interview": interview, "overall": overall,
            "assessment": assessment, "decision": decision})
    version = version_from_folder("csods", note="National base from processes/csods")
    users: dict[str, dict[str, Any]] = {}
    user_model = get_user_model()
    for code, name, profile, route in FORCES:
        force, _ = Force.objects.update_or_create(code=code, defaults={
            "name": name, "time_limit_profile": TimeLimitProfile.objects.get(code=profile),
            "decision_route": route, "active_version": version})
        team, _ = Team.objects.get_or_create(force=force, name="Public Protection Unit")
        users[code] = {}
        for role, login in LOGINS:
            user, created = user_model.objects.get_or_create(username=f"{code.lower()}.{login}")
            if created:
                user.set_password(PASSWORD)
                user.save()
            Membership.objects.update_or_create(user=user, defaults={
                "force": force, "team": team, "roles": [str(role)]})
            users[code].setdefault(str(role), user)
    return users


def _enquiry(samples: dict[str, Any], index: int) -> dict[str, Any]:
    data = json.loads(json.dumps(samples["enquiry"]))
    first, last = FIRST_NAMES[index % 15], SURNAMES[(index * 7) % 15]
    data["applicant"]["first_name"], data["applicant"]["last_name"] = first, last
    if isinstance(data.get("subject"), dict):
        data["subject"]["last_name"] = SURNAMES[(index * 3 + 5) % 15]
    return data


def _work(case: Case, plan: Plan, users: dict[str, Any], samples: dict[str, Any],
          clock: Any) -> None:
    for _ in range(40):
        tasks = list(HumanTask.objects.filter(case=case, state=TaskState.READY).order_by("pk"))
        if not tasks or any(t.bpmn_id in plan.stop for t in tasks):
            return
        task = next((t for t in tasks if t.bpmn_id in TASK_FORMS), None)
        if task is None:
            return
        data = {**samples[TASK_FORMS[task.bpmn_id]], **plan.overrides.get(task.bpmn_id, {})}
        user = users[task.role]
        clock.shift(timedelta(hours=5))
        services.task_claim(user=user, task_id=task.pk)
        services.task_complete(user=user, task_id=task.pk, data=data)


def _claim_next(case: Case, users: dict[str, Any]) -> None:
    """Give the case's next task to the officer of its role, so that 'My tasks' has work."""
    task = HumanTask.objects.filter(case=case, state=TaskState.READY).order_by("pk").first()
    if task is not None and task.role in users:
        services.task_claim(user=users[task.role], task_id=task.pk)


def seed() -> int:
    """Create the demo forces, users and cases; return how many cases were made (0 if seeded)."""
    with transaction.atomic():
        users = _setup()
    made = 0
    samples = _samples()
    now = timezone.now()
    for code, _name, _profile, _route in FORCES:
        force = Force.objects.get(code=code)
        if Case.objects.filter(force=force).exists():
            continue
        for index, plan in enumerate(PLANS):
            with time_machine.travel(now - timedelta(days=plan.days_ago), tick=False) as clock:
                case = services.case_start(user=users[code][Role.CONTACT_HANDLER],
                                           data=_enquiry(samples, index + (0 if code == "HRT"
                                                                           else 5)))
                _work(case, plan, users[code], samples, clock)
                if plan.withdraw:
                    services.case_withdraw(user=users[code][Role.CASE_OFFICER],
                                           reference=case.reference,
                                           reason="Applicant no longer wishes to proceed")
                elif index % 2 == 0:
                    _claim_next(case, users[code])
            made += 1
    return made
