"""Moving live cases to a new version: a dry run with per-case verdicts, then the bulk move
(run here in-process, as the Celery task would), with each case's from/to version recorded."""

from __future__ import annotations

import pytest

from tests import factories
from tests.engine.test_diff import answering_the_second_opinion, with_second_opinion
from webapp.cases import services as cases
from webapp.cases.case_migration import migration_dry_run, migration_run, migration_start
from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState
from webapp.errors import ServiceError
from webapp.processes import services
from webapp.processes.models import ProcessVersion

pytestmark = pytest.mark.django_db


def _complete(case: Case, bpmn_id: str, user, form: str) -> None:
    task = HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)
    cases.task_complete(user=user, task_id=task.pk, data=factories.sample(form))


@pytest.fixture
def world():
    v1 = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=v1)
    people = {role: factories.officer(role, hrt, role) for role in
              ("contact_handler", "case_officer", "decision_maker", "policy_lead")}
    people["lead2"] = factories.officer("lead2", hrt, "policy_lead")
    early = cases.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    decided = cases.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    officer, dm = people["case_officer"], people["decision_maker"]
    for bpmn_id, form in (("ut_initial_checks", "initial_checks"),
                          ("ut_verification_interview", "verification_interview"),
                          ("ut_police_checks", "police_checks"),
                          ("ut_intelligence_checks", "intelligence_checks"),
                          ("ut_partner_checks", "partner_checks"),
                          ("ut_risk_assessment", "risk_assessment")):
        _complete(decided, bpmn_id, officer, form)
    _complete(decided, "ut_decision", dm, "decision")
    files = {name: text.encode() for name, text in v1.files.items()}
    changed = with_second_opinion(files)
    draft = services.draft_create(user=people["policy_lead"], version_id=v1.pk)
    draft = services.draft_save(user=people["policy_lead"], draft_id=draft.pk,
                                files={"csods.bpmn": changed["csods.bpmn"].decode(),
                                       **answering_the_second_opinion(v1.files)})
    assert draft.error_count == 0, draft.problems
    v2 = services.version_publish(user=people["policy_lead"], draft_id=draft.pk,
                                  note="Second opinion after the decision")
    return {"v1": v1, "v2": v2, "early": early, "decided": decided, **people}


def test_dry_run_gives_each_live_case_a_verdict_and_changes_nothing(world):
    before = {c.pk: bytes(c.state) for c in Case.objects.all()}
    result = migration_dry_run(user=world["policy_lead"], version_id=world["v2"].pk)
    verdicts = {v.reference: v for v in result.verdicts}
    assert verdicts[world["early"].reference].can_move
    refused = verdicts[world["decided"].reference]
    assert not refused.can_move and any("ut_decision" in r for r in refused.reasons)
    assert (result.movable, result.unmovable) == (1, 1)
    assert {c.pk: bytes(c.state) for c in Case.objects.all()} == before


def test_bulk_move_needs_the_version_deployed_and_moves_only_movable_cases(world):
    with pytest.raises(ServiceError) as caught:
        migration_start(user=world["policy_lead"], version_id=world["v2"].pk)
    assert caught.value.http_status == 409  # deploy first
    request = services.deployment_request(user=world["policy_lead"], version_id=world["v2"].pk,
                                          note="Roll out")
    services.deployment_decide(user=world["lead2"], deployment_id=request.pk, approve=True)
    open_task = HumanTask.objects.get(case=world["early"], state=TaskState.READY)
    migration = migration_start(user=world["policy_lead"], version_id=world["v2"].pk)
    done = migration_run(migration.pk)
    assert (done.status, done.total, done.moved) == ("done", 2, 1)
    assert [r["reference"] for r in done.refused] == [world["decided"].reference]
    early, decided = (Case.objects.get(pk=world[k].pk) for k in ("early", "decided"))
    assert (early.version, decided.version) == (world["v2"], world["v1"])
    moved = "Sarah's Law version 1 to Sarah's Law version 2"
    assert CaseEvent.objects.filter(case=early, kind="migrated",
                                    detail__contains=moved).count() == 1
    still_open = HumanTask.objects.get(case=early, state=TaskState.READY)
    assert still_open.pk == open_task.pk  # the open task and its row survived the move
    assert early.clocks.filter(clock="initial", state="running").exists()
    assert migration_run(migration.pk).moved == 1  # running it again changes nothing
    assert ProcessVersion.objects.count() == 2


def _dry_run_page(client, world) -> str:
    client.force_login(world["policy_lead"])
    response = client.get(f"/studio/versions/{world['v2'].pk}/dry-run/")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_dry_run_offers_no_move_to_an_undeployed_version_and_says_what_to_do(world, client):
    migrate = f"/studio/versions/{world['v2'].pk}/migrate/"
    client.force_login(world["policy_lead"])
    version_page = client.get(f"/studio/versions/{world['v2'].pk}/").content.decode()
    assert f"/studio/versions/{world['v2'].pk}/dry-run/" in version_page  # before deploying
    page = _dry_run_page(client, world)
    assert "<strong>1</strong> can move" in page
    assert migrate not in page and "Move the 1 movable case" not in page
    assert "is not deployed to" in page and "Ask for this version to be deployed first" in page

    request = services.deployment_request(user=world["policy_lead"], version_id=world["v2"].pk,
                                          note="Roll out")
    page = _dry_run_page(client, world)
    assert migrate not in page
    assert "waiting for a second policy lead to approve it" in page

    services.deployment_decide(user=world["lead2"], deployment_id=request.pk, approve=True)
    page = _dry_run_page(client, world)
    assert f'action="{migrate}"' in page and "Move the 1 movable case</button>" in page
    assert "Ask for this version to be deployed first" not in page
