"""Demo data from each scheme folder's demo.json and sample answers, with no Python per scheme."""

from __future__ import annotations

import pytest

from webapp.cases import demo
from webapp.cases.models import Case, HumanTask, TaskState

pytestmark = pytest.mark.django_db


def test_the_csods_demo_plans_are_read_from_its_folder():
    schemes = {s.name: s for s in demo.demo_schemes()}
    csods = schemes["csods"]
    assert len(csods.plans) == 15 and csods.vary_names == ("applicant", "subject")
    assert {"enquiry", "decision", "initial_checks"} <= set(csods.samples)
    assert sum(1 for plan in csods.plans if plan.withdraw) == 1


def test_seed_makes_each_forces_cases_as_the_plans_say():
    made = demo.seed()

    assert made == 2 * 15
    hrt = Case.objects.filter(force__code="HRT")
    assert hrt.count() == 15
    # names vary per case; the plans' stops, answers and withdrawal are followed
    applicants = {tuple(c.parties["applicant"]) for c in hrt}
    assert len(applicants) == 15
    ready = set(HumanTask.objects.filter(case__in=hrt, state=TaskState.READY)
                .values_list("bpmn_id", flat=True))
    assert {"ut_initial_checks", "ut_verification_interview", "ut_immediate_risk_review"} <= ready
    assert hrt.filter(outcome_codes__icontains="Withdrawn").count() == 1
    assert hrt.filter(outcome_codes__icontains="OutOfScope").count() == 1
    assert [c.risks for c in hrt if c.risks] == [["immediate_risk"]]
    assert demo.seed() == 0  # seeded already
