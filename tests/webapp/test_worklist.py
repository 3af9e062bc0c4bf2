"""The worklist pages (My tasks, Team queue): each filter and sort shows the rows a user expects,
pages keep the filters, saved views are shared within a team only, and the page's SQL does not
grow with its rows."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.factories import page_html, signed_in
from webapp.cases.models import Case, HumanTask, SavedView, TaskState
from webapp.forces.models import SchemeDeployment
from webapp.processes.registry import definition_for_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _midday():
    """The tests place tasks hours from now: at 23:30 'due in half an hour' is due tomorrow,
    so every test here runs at noon in London (the clock still ticks)."""
    with time_machine.travel(datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo("Europe/London"))):
        yield


@pytest.fixture
def world():
    """A CSODS force with a case officer holding tasks and a queue for the case officers."""
    people = factories.csods_officers("case_officer", "decision_maker")
    hrt = people["force"]
    version = SchemeDeployment.objects.get(force=hrt, scheme="csods").active_version
    stages = definition_for_id(version.pk).stage_names()
    return {**people, "hrt": hrt, "version": version, "stages": sorted(stages)}


def _task(world, reference: str, name: str, *, due_hours: float | None, risk: bool = False,
          stage: str = "", assignee=None) -> HumanTask:
    case = Case.objects.create(
        force=world["hrt"], reference=reference, scheme="csods", version=world["version"],
        state=b"", opened_at=timezone.now(), opened_by=world["decision_maker"],
        stage=stage, risks=["immediate_risk"] if risk else [])
    return HumanTask.objects.create(
        case=case, force=world["hrt"], engine_task_id=uuid.uuid4(), bpmn_id="ut_x", name=name,
        lane="Case officer", role="case_officer", created_at=timezone.now(),
        state=TaskState.READY, stage=stage, at_risk=risk, assignee=assignee,
        due_at=None if due_hours is None else timezone.now() + timedelta(hours=due_hours))


def _names(html: str) -> list[str]:
    """The task names of the table's rows, top to bottom."""
    return re.findall(r'data-label="Task">(?:<a [^>]*>)?([^<]+)<', html)


@pytest.fixture
def queue(world):
    first, second = world["stages"][0], world["stages"][1]
    _task(world, "HRT-1", "Late one", due_hours=-30, stage=first)
    _task(world, "HRT-2", "Today one", due_hours=0.5, stage=second)
    _task(world, "HRT-3", "Next week one", due_hours=24 * 5, stage=first)
    _task(world, "HRT-4", "Risky one", due_hours=24 * 30, risk=True, stage=second)
    _task(world, "HRT-5", "Someday one", due_hours=None, stage=first)
    return world


def test_the_queue_puts_cases_at_risk_first_then_soonest_due(queue):
    html = page_html(queue["case_officer"], "/queue/")
    assert _names(html) == ["Risky one", "Late one", "Today one", "Next week one",
                            "Someday one"]
    assert 'aria-sort="none"' in html and "Immediate risk" in html


def test_sorting_by_due_drops_risk_first_but_keeps_the_flag(queue):
    html = page_html(queue["case_officer"], "/queue/?sort=due")
    assert _names(html) == ["Late one", "Today one", "Next week one", "Risky one",
                            "Someday one"]
    assert 'aria-sort="ascending"' in html and "flag--risk" in html
    html = page_html(queue["case_officer"], "/queue/?sort=-due")
    assert _names(html)[1:] == ["Risky one", "Next week one", "Today one", "Late one"]
    assert 'aria-sort="descending"' in html


@pytest.mark.parametrize(("query", "expected"), [
    ("due=overdue", ["Late one"]),
    ("due=today", ["Today one"]),
    ("due=week", ["Today one", "Next week one"]),
    ("risk=yes", ["Risky one"]),
    ("scheme=csods&due=overdue", ["Late one"]),
    ("due=nonsense", ["Risky one", "Late one", "Today one", "Next week one", "Someday one"]),
])
def test_each_filter_shows_only_its_tasks(queue, query, expected):
    assert _names(page_html(queue["case_officer"], f"/queue/?{query}")) == expected


def test_the_stage_filter_matches_the_task_or_its_cases_stage(queue):
    first = queue["stages"][0]
    html = page_html(queue["case_officer"], f"/queue/?stage={first}&sort=due")
    assert _names(html) == ["Late one", "Next week one", "Someday one"]
    assert f"Stage: {first}" in html  # the filter in effect, in words


def test_my_tasks_filter_and_sort_the_officers_own_tasks(world):
    me = world["case_officer"]
    _task(world, "HRT-6", "Mine late", due_hours=-2, assignee=me)
    _task(world, "HRT-7", "Mine risky", due_hours=50, risk=True, assignee=me)
    _task(world, "HRT-8", "Not mine", due_hours=-2)
    assert _names(page_html(me, "/my-tasks/")) == ["Mine risky", "Mine late"]
    assert _names(page_html(me, "/my-tasks/?sort=due")) == ["Mine late", "Mine risky"]
    assert _names(page_html(me, "/my-tasks/?due=overdue")) == ["Mine late"]
    assert "None of your tasks match" in page_html(me, "/my-tasks/?due=today")


def test_pages_keep_the_filters_and_the_sort(world):
    for i in range(53):
        _task(world, f"HRT-P{i}", f"Task {i:02}", due_hours=-100 + i)
    html = page_html(world["case_officer"], "/queue/?due=overdue&sort=due")
    assert len(_names(html)) == 50
    assert 'href="?sort=due&amp;due=overdue&amp;page=2"' in html
    second = page_html(world["case_officer"], "/queue/?sort=due&due=overdue&page=2")
    assert _names(second) == ["Task 50", "Task 51", "Task 52"]
    assert 'href="?sort=due&amp;due=overdue"' in second  # back to the first page, filtered


def test_a_supervisor_sees_a_colleagues_tasks_and_a_non_supervisor_cannot(world):
    officer = world["case_officer"]
    _task(world, "HRT-9", "Held one", due_hours=-1, assignee=officer)
    html = page_html(world["decision_maker"], f"/queue/?assignee={officer.pk}")
    assert _names(html) == ["Held one"] and "Reassign" in html
    # an officer's page ignores the filter it is not offered: the queue as before
    assert "Held one" not in page_html(officer, f"/queue/?assignee={officer.pk}")


def test_the_queues_sql_does_not_grow_with_its_rows(world):
    client = signed_in(world["case_officer"])
    _task(world, "HRT-S0", "Only", due_hours=1)
    url = "/queue/?due=week&sort=due"
    client.get(url)  # warm the caches (scheme declarations)
    with CaptureQueriesContext(connection) as one:
        assert len(_names(client.get(url).content.decode())) == 1
    for i in range(60):
        _task(world, f"HRT-S{i + 1}", f"Row {i}", due_hours=2 + i, risk=i % 3 == 0)
    with CaptureQueriesContext(connection) as fifty:
        assert len(_names(client.get(url).content.decode())) == 50
    assert len(one.captured_queries) == len(fifty.captured_queries)


def test_my_tasks_sql_does_not_grow_with_its_rows(world):
    me = world["case_officer"]
    client = signed_in(me)
    _task(world, "HRT-M0", "Only", due_hours=1, assignee=me)
    client.get("/my-tasks/?risk=&sort=-due")
    with CaptureQueriesContext(connection) as one:
        assert len(_names(client.get("/my-tasks/?sort=-due").content.decode())) == 1
    for i in range(55):
        _task(world, f"HRT-M{i + 1}", f"Row {i}", due_hours=2 + i, assignee=me)
    with CaptureQueriesContext(connection) as fifty:
        assert len(_names(client.get("/my-tasks/?sort=-due").content.decode())) == 50
    assert len(one.captured_queries) == len(fifty.captured_queries)


# Saved views


def _save(user, name: str, query: str, *, shared: bool, page: str = "/queue/"):
    data = {"action": "save-view", "view_name": name, **({"shared": "yes"} if shared else {})}
    return signed_in(user).post(f"{page}?{query}", data)


def test_a_shared_view_is_seen_by_the_team_and_not_by_another_team(world):
    hrt = world["hrt"]
    teammate = factories.officer("teammate", hrt, "case_officer")
    elsewhere = factories.officer("elsewhere", hrt, "case_officer",
                                  team_obj=factories.team(hrt, "Another unit"))
    response = _save(world["case_officer"], "Overdue work", "due=overdue&sort=due", shared=True)
    assert response.status_code == 302 and response["Location"].endswith("?sort=due&due=overdue")
    _save(world["case_officer"], "Just mine", "risk=yes", shared=False)

    assert 'href="?sort=due&amp;due=overdue">Overdue work' in page_html(teammate, "/queue/")
    assert "Just mine" not in page_html(teammate, "/queue/")
    assert "Overdue work" not in page_html(elsewhere, "/queue/")
    own = page_html(world["case_officer"], "/queue/")
    assert "Just mine" in own and "Overdue work" in own
    assert "Overdue work" not in page_html(world["case_officer"], "/my-tasks/")  # per page


def test_only_the_owner_deletes_a_view(world):
    teammate = factories.officer("teammate", world["hrt"], "case_officer")
    _save(world["case_officer"], "Overdue work", "due=overdue", shared=True)
    view = SavedView.objects.get()
    refused = signed_in(teammate).post("/queue/", {"action": "delete-view", "view": view.pk})
    assert refused.status_code == 403
    assert "Only case_officer may delete 'Overdue work'" in unescape(
        refused.content.decode())
    done = signed_in(world["case_officer"]).post("/queue/", {"action": "delete-view",
                                                             "view": view.pk})
    assert done.status_code == 302 and not SavedView.objects.exists()


def test_a_view_without_a_name_is_refused_with_the_filters_kept(world):
    response = _save(world["case_officer"], "  ", "due=today", shared=False)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a name for the view." in page and "govuk-error-summary" in page
    assert '<option value="today" selected>' in page
    assert not SavedView.objects.exists()


def test_a_saved_view_keeps_only_values_the_page_offers(world):
    _save(world["case_officer"], "Odd", "due=yesterday&risk=yes&evil=1", shared=False)
    assert SavedView.objects.get().query == "risk=yes"


def test_a_supervisors_view_of_a_colleagues_tasks_has_fixed_sql(world):
    officer = world["case_officer"]
    client = signed_in(world["decision_maker"])
    _task(world, "HRT-A0", "Only", due_hours=1, assignee=officer)
    url = f"/queue/?assignee={officer.pk}&sort=due"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert len(_names(client.get(url).content.decode())) == 1
    for i in range(55):
        _task(world, f"HRT-A{i + 1}", f"Row {i}", due_hours=2 + i, assignee=officer)
    factories.officer("another", world["hrt"], "case_officer")  # one more name to list
    with CaptureQueriesContext(connection) as fifty:
        assert len(_names(client.get(url).content.decode())) == 50
    assert len(one.captured_queries) == len(fifty.captured_queries)


def test_both_lists_sort_by_when_each_task_was_received(world):
    me = world["case_officer"]
    for hours, name in ((-30, "Oldest"), (-2, "Newest"), (-10, "Middle")):
        task = _task(world, f"HRT-R{name}", name, due_hours=5, assignee=me)
        HumanTask.objects.filter(pk=task.pk).update(
            created_at=timezone.now() + timedelta(hours=hours))
        queued = _task(world, f"HRT-Q{name}", f"Queued {name}", due_hours=5)
        HumanTask.objects.filter(pk=queued.pk).update(
            created_at=timezone.now() + timedelta(hours=hours))
    html = page_html(me, "/my-tasks/?sort=received")
    assert _names(html) == ["Oldest", "Middle", "Newest"]
    assert re.search(r'aria-sort="ascending"><a class="govuk-link" href="[^"]*sort=-received',
                     html)
    assert _names(page_html(me, "/my-tasks/?sort=-received")) == ["Newest", "Middle", "Oldest"]
    queue = _names(page_html(me, "/queue/?sort=received"))
    assert queue == ["Queued Oldest", "Queued Middle", "Queued Newest"]
    assert "Received" in html and 'data-label="Received"' in html


def test_views_shared_by_colleagues_name_them_and_cost_one_statement_however_many(world):
    hrt = world["hrt"]
    me = world["case_officer"]
    client = signed_in(me)
    client.get("/queue/")
    with CaptureQueriesContext(connection) as none_saved:
        client.get("/queue/")
    for n in range(3):
        colleague = factories.officer(f"colleague{n}", hrt, "case_officer")
        colleague.first_name, colleague.last_name = "Priya", f"Shah{n}"
        colleague.save()
        colleague.membership.collar_number = f"44{n}"
        colleague.membership.save()
        _save(colleague, f"View {n}", "due=overdue", shared=True)
    _save(me, "Mine", "risk=yes", shared=False)
    with CaptureQueriesContext(connection) as four_saved:
        html = client.get("/queue/").content.decode()
    assert "(shared by Priya Shah0 (440))" in html and "(shared by Priya Shah2 (442))" in html
    assert "Saved views (4)" in html and ">Mine</a>" in html
    assert len(four_saved.captured_queries) == len(none_saved.captured_queries)


def test_a_member_of_no_team_sees_the_views_shared_by_others_of_no_team(world):
    hrt = world["hrt"]
    loner = factories.officer("loner", hrt, "case_officer")
    loner.membership.team = None
    loner.membership.save()
    other = factories.officer("other", hrt, "case_officer")
    other.membership.team = None
    other.membership.save()
    _save(other, "No team's view", "due=overdue", shared=True)
    assert "No team&#x27;s view" in page_html(loner, "/queue/")
    assert "No team&#x27;s view" not in page_html(world["case_officer"], "/queue/")


def test_the_queues_rows_escape_names_and_their_claim_forms_carry_a_valid_token(world):
    from django.test import Client

    me = world["case_officer"]
    task = _task(world, "HRT-C1", "Check <records> & notes", due_hours=1, risk=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(me)
    html = client.get("/queue/").content.decode()
    assert "Check &lt;records&gt; &amp; notes" in html and "<records>" not in html
    assert f'id="select-{task.pk}" name="task" type="checkbox" value="{task.pk}"' in html
    action, token = re.search(r'<form method="post" action="(/tasks/\d+/claim/)"><input '
                              r'type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
                              html).groups()
    assert action == f"/tasks/{task.pk}/claim/"
    assert client.post(action, {"csrfmiddlewaretoken": token}).status_code == 302
    task.refresh_from_db()
    assert task.assignee == me
    mine = client.get("/my-tasks/").content.decode()
    assert f'<a class="govuk-link" href="/tasks/{task.pk}/">Check &lt;records&gt; &amp; notes</a>' \
        in mine


def test_a_task_name_holding_a_script_is_shown_as_text_in_every_task_list(world):
    boss, me = world["decision_maker"], world["case_officer"]
    _task(world, "HRT-S1", "<script>x</script>", due_hours=1)
    _task(world, "HRT-S2", "<script>x</script>", due_hours=1, assignee=me)
    shown = "&lt;script&gt;x&lt;/script&gt;"
    # the name, and in the queue the tick box's and Claim's labels, the Reassign link's label
    for user, url, times in ((me, "/queue/", 3), (me, "/my-tasks/", 1),
                             (boss, f"/queue/?assignee={me.pk}", 2)):
        html = page_html(user, url)
        assert html.count(shown) == times and "<script>x" not in html, url
