"""One permission module: the table of actions and roles, and no role check outside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import factories
from webapp.errors import ServiceError
from webapp.permissions import RULES, Action, allows, require

ROOT = Path(__file__).resolve().parents[2]

TABLE = {
    Action.START_CASE: {"contact_handler"},
    Action.WITHDRAW: {"contact_handler", "case_officer", "decision_maker", "disclosure_officer"},
    Action.RELEASE_ANY: {"decision_maker"},
    Action.ASSIGN: {"decision_maker"},
    Action.OWN_CASES: {"case_officer"},
    Action.SUPERVISE: {"decision_maker"},
    Action.MANAGE_CLOCKS: {"case_officer", "decision_maker"},
    Action.DECIDE_EXTENSIONS: {"decision_maker"},
    Action.ACKNOWLEDGE_ALERTS: {"decision_maker"},
    Action.RETRY_INCIDENTS: {"decision_maker"},
    Action.SEE_DASHBOARD: {"decision_maker", "policy_lead"},
    Action.SEE_WARNINGS: {"decision_maker"},
    Action.USE_STUDIO: {"policy_lead"},
    Action.AUDIT: {"auditor"},
    Action.RETENTION: {"auditor"},
    Action.ADMINISTER: {"force_admin"},
    Action.ADD_EVIDENCE: {"contact_handler", "case_officer", "decision_maker",
                          "disclosure_officer"},
}

# The modules that may name roles: the table itself, the model that defines them, and the demo
# data that creates one officer per role.
ALLOWED = {"webapp/permissions.py", "webapp/forces/models.py", "webapp/cases/demo.py"}
ROLE_CHECKS = re.compile(
    r"has_role\(|\bRole\.[A-Z_]+|\"(contact_handler|case_officer|decision_maker|"
    r"disclosure_officer|policy_lead|force_admin|auditor)\"|&\s*set\([^)]*\.roles\)|"
    r"\bin\s+\w+\.roles\b")


def test_each_action_is_granted_to_the_roles_of_the_table():
    assert {action: set(rule.roles) for action, rule in RULES.items()} == TABLE


def test_every_action_has_words_for_its_refusal():
    assert all(rule.refusal.strip() for rule in RULES.values())


def test_no_module_outside_the_permission_module_compares_roles():
    offenders = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED or "/migrations/" in name:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ROLE_CHECKS.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.django_db
def test_require_returns_the_membership_or_refuses_in_plain_words():
    hrt = factories.force()
    lead = factories.officer("lead", hrt, "policy_lead")
    officer = factories.officer("officer", hrt, "case_officer")
    assert require(lead, Action.USE_STUDIO).user == lead
    assert allows(lead.membership, Action.SEE_DASHBOARD)
    assert not allows(officer.membership, Action.SEE_DASHBOARD)
    assert not allows(None, Action.AUDIT)
    with pytest.raises(ServiceError) as caught:
        require(officer, Action.USE_STUDIO)
    assert (caught.value.code, caught.value.message) == (
        "forbidden", "Only a policy lead may change process definitions.")
