"""A toy third scheme (tests/fixtures/toy) runs end to end with no Python written for it:
through the services, the inbox pages and the API, next to the mini scheme in one force.
Everything the product shows about it comes from the folder's declarations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from webapp.api.auth import token_create
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.cases.timers import timers_sweep
from webapp.processes.registry import version_from_folder

pytestmark = pytest.mark.django_db

TOY = Path(__file__).resolve().parent.parent / "fixtures" / "toy"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# Each task of the toy process and the sample answers (forms/samples) it is completed with.
FORMS = {"ut_toy_review": "review", "ut_toy_decide": "decide", "ut_toy_tell": "tell",
         "ut_toy_chase": "chase"}


def _sample(form: str) -> dict:
    return json.loads((TOY / "forms" / "samples" / f"{form}.json").read_text())


@pytest.fixture
def world():
    """Hertfordshire runs the mini scheme and the toy scheme; one officer per toy lane."""
    hrt = factories.force()
    factories.deploy(hrt, version_from_folder("toy", TOY))
    return {"hrt": hrt,
            "front": factories.officer("front", hrt, "contact_handler"),
            "reviewer": factories.officer("reviewer", hrt, "case_officer"),
            "inspector": factories.officer("inspector", hrt, "decision_maker")}


def _start(world, **answers) -> Case:
    return services.case_start(user=world["front"], data={**_sample("intake"), **answers},
                               scheme="toy")


def _ready(case: Case) -> dict[str, HumanTask]:
    return {t.bpmn_id: t for t in case.tasks.filter(state=TaskState.READY)}


def _person(world, task: HumanTask):
    return {"case_officer": world["reviewer"], "decision_maker": world["inspector"]}[task.role]


def _work(world, case: Case, bpmn_id: str) -> Case:
    task = _ready(case)[bpmn_id]
    user = _person(world, task)
    services.task_claim(user=user, task_id=task.pk)
    services.task_complete(user=user, task_id=task.pk, data=_sample(FORMS[bpmn_id]))
    case.refresh_from_db()
    return case


def _page(user, url: str, **query) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url, query)
    assert response.status_code == 200, url
    return response.content.decode()


def _api(user) -> APIClient:
    client = APIClient()
    _, secret = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_referral_runs_to_upheld_through_the_services_with_its_declared_meaning(world):
    case = _start(world)
    assert (case.scheme, case.version.process_id) == ("toy", "toy")
    # the lanes' declared roles: the review is the reviewing officer's work
    assert {(t.bpmn_id, t.role) for t in _ready(case).values()} == {
        ("ut_toy_review", "case_officer")}

    _work(world, case, "ut_toy_review")
    assert {(t.bpmn_id, t.role) for t in _ready(case).values()} == {
        ("ut_toy_decide", "decision_maker")}
    _work(world, case, "ut_toy_decide")
    assert set(_ready(case)) == {"ut_toy_tell"}
    case = _work(world, case, "ut_toy_tell")

    assert case.status == "closed" and case.outcome_codes == ["Upheld"]
    assert case.retention_class == "public_protection"
    # s.62: collect at intake, combine at the review, disclose to the reporter by name
    entries = {e.operation: e for e in AccessLog.objects.filter(object_id=case.reference)}
    assert {"collect", "combine", "disclose"} <= set(entries)
    assert entries["disclose"].recipients == ["Nell Quade"]


def test_dropping_a_referral_delivers_the_declared_message(world):
    case = _start(world)
    services.case_withdraw(user=world["reviewer"], reference=case.reference,
                           reason="Moved house")
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome_codes == ["Dropped"]
    assert case.retention_class == "other" and not _ready(case)
    page = _page(world["inspector"], f"/cases/{case.reference}/")
    assert "Reporter dropped the referral" in page and "Dropped by the reporter" in page


def test_the_new_case_page_offers_the_scheme_and_its_intake_questions(world):
    page = _page(world["front"], "/enquiries/new/")
    assert "Nuisance referrals" in page and "Mini" in page
    form = _page(world["front"], "/enquiries/new/", scheme="toy")
    for words in ("Start a new referral", "Record who reports the nuisance, who holds the",
                  "Who reports the nuisance", "Record referral",
                  "Who holds the premises", "Neighbours affected", "What kind of nuisance",
                  "Does the reporter fear violence?"):
        assert words in form, words
    assert 'name="reporter.first_name"' in form and 'name="concern"' not in form

    client = Client()
    client.force_login(world["front"])
    response = client.post("/enquiries/new/", {
        "scheme": "toy", "action": "complete", "reporter.first_name": "Nell",
        "reporter.last_name": "Quade", "holder.name": "Barney Tulk",
        "neighbours.0.name": "Ivy Spence", "category": "threats",
        "violence_feared": "true", "details": "Shouting at the door"})
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert case.scheme == "toy" and case.risks == ["violence_feared"]


def test_queues_show_the_scheme_and_put_the_violence_feared_referral_first(world):
    with time_machine.travel(T0, tick=False) as clock:
        older = _start(world)
        clock.shift(timedelta(hours=2))
        feared = _start(world, violence_feared=True, category="threats")
        clock.shift(timedelta(minutes=5))
        queue = _page(world["reviewer"], "/queue/")
        only = _page(world["reviewer"], "/queue/", scheme="toy")
        for case in (older, feared):
            services.task_claim(user=world["reviewer"], task_id=_ready(case)["ut_toy_review"].pk)
        mine = _page(world["reviewer"], "/my-tasks/")
        alerts = _page(world["inspector"], "/queue/")

    assert feared.risks == ["violence_feared"]
    assert "Nuisance referrals" in queue and "Violence feared" in queue
    assert queue.index(feared.reference) < queue.index(older.reference)
    assert only.index(feared.reference) < only.index(older.reference)
    assert mine.index(feared.reference) < mine.index(older.reference)
    assert mine.count("Violence feared") == 1
    assert ">Nuisance referrals<" in mine
    # the inspector is alerted at once
    assert "Cases marked at risk" in alerts and feared.reference in alerts


def test_the_case_page_shows_declared_parties_clocks_outcome_and_withdraw(world):
    case = _start(world)
    officer_view = _page(world["reviewer"], f"/cases/{case.reference}/")
    for words in ("Reporter", "Nell Quade", "Premises holder", "Barney Tulk",
                  "Neighbours affected", "Ivy Spence", "Raj Osei",
                  "Premises review", "Whole referral",
                  "Drop the referral"):
        assert words in officer_view, words
    # the withdraw action's question is asked on its confirmation page
    confirm = _page(world["reviewer"], f"/cases/{case.reference}/withdraw/")
    assert "Drop the referral?" in confirm and "Why the reporter dropped it" in confirm
    assert "limit_review" not in officer_view

    desk_view = _page(world["front"], f"/cases/{case.reference}/")
    assert "Nell Quade" in desk_view and "Barney Tulk" not in desk_view
    assert "<dt>Premises holder</dt><dd><span class=\"hint\">Not shown to your role" in desk_view
    assert "Barney Tulk" not in _page(world["front"], f"/cases/{case.reference}/answers.csv")
    assert "Barney Tulk" not in _page(world["front"], "/cases/")
    assert case.reference not in _page(world["front"], "/cases/", q="Tulk")
    assert case.reference in _page(world["reviewer"], "/cases/", q="Tulk")

    for bpmn_id in ("ut_toy_review", "ut_toy_decide", "ut_toy_tell"):
        _work(world, case, bpmn_id)
    # the review recorded the holder again: its read-only answers hide them from the desk too
    review = HumanTask.objects.get(case=case, bpmn_id="ut_toy_review")
    assert "Barney Tulk" in _page(world["reviewer"], f"/tasks/{review.pk}/")
    review_page = _page(world["front"], f"/tasks/{review.pk}/")
    assert "What you found" in review_page and "Barney Tulk" not in review_page
    closed = _page(world["reviewer"], f"/cases/{case.reference}/")
    assert "Referral upheld" in closed
    assert "Referral upheld" in _page(world["inspector"], "/cases/")


def test_the_dashboard_counts_upheld_referrals(world):
    lead = factories.officer("lead", world["hrt"], "decision_maker", "policy_lead")
    case = _start(world)
    for bpmn_id in ("ut_toy_review", "ut_toy_decide", "ut_toy_tell"):
        _work(world, case, bpmn_id)
    _start(world)

    page = _page(lead, "/dashboard/", scheme="toy")
    sheet = _page(lead, "/dashboard/returns.csv", scheme="toy")

    assert "Upheld referrals" in page
    assert "Referrals,2" in sheet and "Upheld referrals,1" in sheet


def test_the_late_review_is_chased_by_the_approving_inspector(world):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(world)
        clock.shift(timedelta(days=3, minutes=1))
        assert timers_sweep() >= 1
        assert timers_sweep() == 0  # nothing fires twice
    ready = _ready(case)
    assert set(ready) == {"ut_toy_review", "ut_toy_chase"}
    chase = ready["ut_toy_chase"]
    assert chase.name == "Chase the late review" and chase.role == "decision_maker"
    assert case.reference in _page(world["inspector"], "/queue/")
    _work(world, case, "ut_toy_chase")
    assert set(_ready(case)) == {"ut_toy_review"}  # the review itself stays open


def test_the_api_creates_lists_and_completes_toy_referrals(world):
    front = _api(world["front"])
    made = front.post("/api/v1/enquiries", {"scheme": "toy", "data": _sample("intake")},
                      format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["scheme"], body["scheme_title"]) == ("toy", "Nuisance referrals")
    services.case_start(user=world["reviewer"], scheme="mini", data={
        "concern": "Worried", "children": [{"name": "Amy", "age": 7}]})

    reviewer = _api(world["reviewer"])
    listed = reviewer.get("/api/v1/cases", {"scheme": "toy"}).json()["results"]
    assert [c["reference"] for c in listed] == [body["reference"]]
    tasks = reviewer.get("/api/v1/tasks", {"scheme": "toy", "unassigned": "true"}).json()
    (task,) = tasks["results"]
    assert (task["bpmn_id"], task["scheme_title"]) == ("ut_toy_review", "Nuisance referrals")
    assert reviewer.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    done = reviewer.post(f"/api/v1/tasks/{task['id']}/complete", {"data": _sample("review")},
                         format="json")
    assert done.status_code == 200, done.content
    case = Case.objects.get(reference=body["reference"])
    assert set(_ready(case)) == {"ut_toy_decide"}
