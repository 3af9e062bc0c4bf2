"""Demo data from each scheme folder's demo.json and sample answers, with no Python per scheme."""

from __future__ import annotations

import pytest

from webapp.cases import demo
from webapp.cases.models import Case, HumanTask, TaskState

pytestmark = pytest.mark.django_db


def test_the_csods_demo_plans_are_read_from_its_folder():
    schemes = {s.name: s for s in demo.demo_schemes()}
    csods = schemes["csods"]
    assert len(csods.plans) == 16 and csods.vary_names == ("applicant", "subject", "children")
    assert {"enquiry", "decision", "initial_checks"} <= set(csods.samples)
    assert sum(1 for plan in csods.plans if plan.withdraw) == 1


def test_seed_makes_each_forces_cases_of_every_scheme_as_the_plans_say():
    schemes = demo.demo_schemes()
    assert {s.name for s in schemes} >= {"csods", "dvds"}
    made = demo.seed()

    assert made == 2 * sum(len(s.plans) for s in schemes)
    for force in ("HRT", "WAR"):
        for scheme in schemes:
            cases = list(Case.objects.filter(force__code=force, scheme=scheme.name)
                         .order_by("pk"))
            assert len(cases) == len(scheme.plans), (force, scheme.name)
            # names vary per case; each plan's stop, answers and withdrawal are followed
            assert len({tuple(c.parties.get(scheme.vary_names[0], ())) for c in cases}) > 1
            for case, plan in zip(cases, scheme.plans, strict=True):
                ready = set(HumanTask.objects.filter(case=case, state=TaskState.READY)
                            .values_list("bpmn_id", flat=True))
                if plan.withdraw:
                    assert case.status == "closed" and not ready, case.reference
                elif plan.stop:
                    assert ready & set(plan.stop), (case.reference, plan, ready)
                else:
                    assert case.status == "closed", (case.reference, plan)
    hrt = Case.objects.filter(force__code="HRT", scheme="csods")
    assert hrt.filter(outcome_codes__icontains="Withdrawn").count() == 1
    assert hrt.filter(outcome_codes__icontains="OutOfScope").count() == 1
    assert [c.risks for c in hrt if c.risks] == [["immediate_risk"]]
    dvds = Case.objects.filter(force__code="WAR", scheme="dvds")
    assert dvds.filter(outcome_codes__icontains="RightToKnow").exists()
    assert dvds.filter(outcome_codes__icontains="RightToAsk").exists()
    assert demo.seed() == 0  # seeded already


def test_demo_cases_share_a_person_only_where_a_plan_says_so():
    """Demo names repeat every 15 cases and the samples share phone numbers and birthdays: each
    demo person gets their own, so the case page's linked cases are real links, not noise; a
    plan's ``same_people`` makes a deliberate second application by or about the same person,
    seen from both cases as linked."""
    from django.core.management import call_command

    from webapp.cases.linked_cases import linked_cases
    from webapp.forces.models import Membership

    call_command("seed_demo", verbosity=0)
    deliberate = {s.name: {(i, target) for i, plan in enumerate(s.plans)
                           for target in plan.same_people.values()}
                  for s in demo.demo_schemes()}
    assert all(deliberate.values()), deliberate  # each scheme's demo shows a linked pair
    for login in ("hrt.decision", "war.decision"):
        member = Membership.objects.get(user__username=login)
        expected: set[frozenset[str]] = set()
        for scheme, pairs in deliberate.items():
            cases = list(Case.objects.filter(force=member.force, scheme=scheme).order_by("pk"))
            expected |= {frozenset((cases[a].reference, cases[b].reference)) for a, b in pairs}
        linked = {c.reference: linked_cases(member, c)
                  for c in Case.objects.filter(force=member.force)}
        assert len(linked) >= 20  # noqa: PLR2004
        found = {frozenset((ref, other.reference)) for ref, others in linked.items()
                 for other in others}
        assert found == expected
