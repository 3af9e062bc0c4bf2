"""A force runs several schemes: choosing one at the start, its intake form from the
declaration, the scheme shown and filtered in every list and the API, migrations per scheme,
and lane -> team routing that decides whose queue holds a task."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.factories import signed_in
from webapp.api.auth import token_create
from webapp.cases import access, case_migration, services
from webapp.cases.models import Case, TaskState
from webapp.errors import ServiceError
from webapp.forces.models import SchemeDeployment

pytestmark = pytest.mark.django_db

# The mini scheme's intake (its "Enter details" task); a score this high needs a decision.
ENTER = {"concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7},
                                                               {"name": "Ben", "age": 9}]}


@pytest.fixture
def world():
    """Hertfordshire runs the mini scheme and CSODS; one officer holds both intake roles."""
    csods = factories.version("csods", factories.CSODS)
    hrt = factories.force()
    factories.deploy(hrt, csods)
    intake = factories.officer("intake", hrt, "contact_handler", "case_officer")
    return {"hrt": hrt, "csods": csods, "intake": intake,
            "dm": factories.officer("dm", hrt, "decision_maker")}



def _api(user) -> APIClient:
    client = APIClient()
    _, secret = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_force_with_several_schemes_must_name_one(world):
    with pytest.raises(ServiceError) as caught:
        services.case_start(user=world["intake"], data=ENTER)
    assert caught.value.http_status == 400 and "several schemes" in caught.value.message
    with pytest.raises(ServiceError) as caught:
        services.case_start(user=world["intake"], data=ENTER, scheme="nonesuch")
    assert "does not run the scheme 'nonesuch'" in caught.value.message
    mini = services.case_start(user=world["intake"], data=ENTER, scheme="mini")
    sarah = services.case_start(user=world["intake"], data=factories.sample("enquiry"),
                                scheme="csods")
    assert (mini.scheme, mini.version.process_id) == ("mini", "mini")
    assert (sarah.scheme, sarah.version) == ("csods", world["csods"])


def test_a_force_with_one_scheme_needs_no_choice():
    hrt = factories.force()
    officer = factories.officer("officer", hrt, "case_officer")
    assert services.case_start(user=officer, data=ENTER).scheme == "mini"
    page = signed_in(officer).get("/enquiries/new/").content.decode()
    assert "Which scheme is this for?" not in page
    assert "Start a new case" in page and 'name="concern"' in page


def test_the_new_case_page_asks_which_scheme_then_shows_its_intake_form(world):
    client = signed_in(world["intake"])
    page = client.get("/enquiries/new/").content.decode()
    assert "Which scheme is this for?" in page
    assert "Sarah&#x27;s Law" in page and "Mini scheme" in page
    assert "start a new enquiry" in page and "start a new case" in page
    form = client.get("/enquiries/new/", {"scheme": "csods"}).content.decode()
    assert "Start a new enquiry" in form and "Record enquiry" in form
    assert 'name="applicant.first_name"' in form
    form = client.get("/enquiries/new/", {"scheme": "mini"}).content.decode()
    assert "Start a new case" in form and 'name="concern"' in form
    assert 'name="applicant.first_name"' not in form
    response = client.post("/enquiries/new/", {
        "scheme": "mini", "action": "complete", "concern": "Worried",
        "children.0.name": "Amy", "children.0.age": "7"})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.scheme == "mini" and response["Location"].endswith(f"/{case.reference}/")


def test_lists_show_the_scheme_and_filter_by_it(world):
    mini = services.case_start(user=world["intake"], data=ENTER, scheme="mini")
    sarah = services.case_start(user=world["intake"], data=factories.sample("enquiry"),
                                scheme="csods")
    client = signed_in(world["intake"])
    listing = client.get("/cases/").content.decode()
    assert mini.reference in listing and sarah.reference in listing
    assert '<th scope="col" class="govuk-table__header">Scheme</th>' in listing
    assert "Sarah&#x27;s Law" in listing
    only = client.get("/cases/", {"scheme": "mini"}).content.decode()
    assert mini.reference in only and sarah.reference not in only
    queue = client.get("/queue/").content.decode()  # the officer's initial checks of CSODS
    assert sarah.reference in queue and "Sarah&#x27;s Law" in queue
    assert sarah.reference not in client.get("/queue/", {"scheme": "mini"}).content.decode()
    dm = signed_in(world["dm"])
    assert mini.reference in dm.get("/queue/", {"scheme": "mini"}).content.decode()
    assert mini.reference not in dm.get("/queue/", {"scheme": "csods"}).content.decode()
    task = mini.tasks.get(state=TaskState.READY)
    services.task_claim(user=world["dm"], task_id=task.pk)
    mine = dm.get("/my-tasks/").content.decode()
    assert mini.reference in mine and ">Mini<" in mine
    assert mini.reference not in dm.get("/my-tasks/", {"scheme": "csods"}).content.decode()


def test_the_dashboard_filters_by_scheme(world):
    lead = factories.officer("lead", world["hrt"], "decision_maker", "policy_lead")
    services.case_start(user=world["intake"], data=ENTER, scheme="mini")
    services.case_start(user=world["intake"], data=factories.sample("enquiry"), scheme="csods")
    client = signed_in(lead)
    assert client.get("/dashboard/").status_code == 200
    both = client.get("/dashboard/stages.csv").content.decode()
    mini = client.get("/dashboard/stages.csv", {"scheme": "mini"}).content.decode()
    assert "Enquiry and initial checks" in both
    assert "Enquiry and initial checks" not in mini


def test_the_api_takes_a_scheme_at_creation_and_filters_lists_by_it(world):
    api = _api(world["intake"])
    refused = api.post("/api/v1/enquiries", {"data": ENTER}, format="json")
    assert refused.status_code == 400 and "several schemes" in refused.json()["detail"]
    made = api.post("/api/v1/enquiries", {"scheme": "mini", "data": ENTER}, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["scheme"], made.json()["scheme_title"]) == ("mini", "Mini")
    sarah = api.post("/api/v1/enquiries", {"scheme": "csods",
                                           "data": factories.sample("enquiry")}, format="json")
    assert sarah.status_code == 201 and sarah.json()["scheme_title"] == "Sarah's Law"
    listed = api.get("/api/v1/cases", {"scheme": "csods"}).json()["results"]
    assert [c["reference"] for c in listed] == [sarah.json()["reference"]]
    tasks = api.get("/api/v1/tasks", {"scheme": "csods"}).json()["results"]
    assert tasks and {t["scheme"] for t in tasks} == {"csods"}
    assert {t["scheme_title"] for t in tasks} == {"Sarah's Law"}


def test_a_migration_moves_only_cases_of_the_target_scheme(world, tmp_path):
    lead = factories.officer("lead", world["hrt"], "policy_lead")
    mini = services.case_start(user=world["intake"], data=ENTER, scheme="mini")
    services.case_start(user=world["intake"], data=factories.sample("enquiry"), scheme="csods")
    folder = tmp_path / "mini"
    folder.mkdir()
    for path in factories.MINI.rglob("*"):
        target = folder / path.relative_to(factories.MINI)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes().replace(b'name="Approve"',
                                                         b'name="Approve it"'))
    v2 = factories.version("mini", folder)
    dry = case_migration.migration_dry_run(user=lead, version_id=v2.pk)
    assert [v.reference for v in dry.verdicts] == [mini.reference]
    with pytest.raises(ServiceError):  # not deployed yet
        case_migration.migration_start(user=lead, version_id=v2.pk)
    factories.deploy(world["hrt"], v2)
    migration = case_migration.migration_start(user=lead, version_id=v2.pk)
    assert migration.total == 1


def test_a_lane_routed_to_a_team_reaches_only_that_teams_queue():
    hrt = factories.force()
    team_a, team_b = factories.team(hrt, "Team A"), factories.team(hrt, "Team B")
    officer = factories.officer("officer", hrt, "case_officer")
    dm_a = factories.officer("dm.a", hrt, "decision_maker", team_obj=team_a)
    dm_b = factories.officer("dm.b", hrt, "decision_maker", team_obj=team_b)

    # given no routing: a decision task is in every decision maker's queue
    plain = services.case_start(user=officer, data=ENTER)
    for dm in (dm_a, dm_b):
        assert plain.reference in signed_in(dm).get("/queue/").content.decode()

    # when the force routes the Decision maker lane to Team A
    SchemeDeployment.objects.filter(force=hrt).update(lane_teams={"Decision maker": "Team A"})
    routed = services.case_start(user=officer, data=ENTER)

    # then the new task carries Team A: in A's member's queue, not in B's
    task = routed.tasks.get(state=TaskState.READY)
    assert task.team == team_a
    assert routed.reference in signed_in(dm_a).get("/queue/").content.decode()
    assert routed.reference not in signed_in(dm_b).get("/queue/").content.decode()
    # the task written before the routing has no team
    assert plain.tasks.get(state=TaskState.READY).team is None


def test_a_task_routed_to_another_team_is_outside_need_to_know_and_cannot_be_claimed(world):
    """Routing decides need-to-know, not only the queue page: an officer of another team
    neither sees the case nor claims its task by id, on the pages or through the API."""
    hrt = world["hrt"]
    team_a, team_b = factories.team(hrt, "Team A"), factories.team(hrt, "Team B")
    officer_a = factories.officer("officer.a", hrt, "case_officer", team_obj=team_a)
    officer_b = factories.officer("officer.b", hrt, "case_officer", team_obj=team_b)
    SchemeDeployment.objects.filter(force=hrt, scheme="csods").update(
        lane_teams={"Case officer": "Team A"})
    case = services.case_start(user=world["intake"], data=factories.sample("enquiry"),
                               scheme="csods")
    task = case.tasks.get(state=TaskState.READY)
    assert (task.role, task.team) == ("case_officer", team_a)

    # officer B: not in the queue, the case page refuses (break-glass offered), claim refused
    page_b = signed_in(officer_b)
    assert case.reference not in page_b.get("/queue/").content.decode()
    assert page_b.get(f"/cases/{case.reference}/").status_code == 403
    with pytest.raises(ServiceError, match="no working relationship"):
        services.task_claim(user=officer_b, task_id=task.pk)
    api = _api(officer_b)
    listed = api.get("/api/v1/tasks", {"state": "ready"}).json()
    assert task.pk not in [row["id"] for row in listed["results"]]
    refused = api.post(f"/api/v1/tasks/{task.pk}/claim")
    assert refused.status_code == 403
    task.refresh_from_db()
    assert task.assignee is None
    # even after opening the case by break-glass, the task stays Team A's to claim
    access.break_glass(user=officer_b, case=case, reason_code="cover",
                       reason="The applicant rang about a visit this afternoon")
    with pytest.raises(ServiceError, match="Team A team's queue"):
        services.task_claim(user=officer_b, task_id=task.pk)

    # officer A: sees it and claims it
    assert case.reference in signed_in(officer_a).get("/queue/").content.decode()
    services.task_claim(user=officer_a, task_id=task.pk)
    task.refresh_from_db()
    assert task.assignee == officer_a
