"""The case list and the access log page through their results with Previous and Next, newest
first, without counting the matches: one statement a page whatever the list's length, every
row once, the filters kept across pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.factories import signed_in
from webapp.audit.log import record
from webapp.audit.models import AccessLog, Operation
from webapp.cases import services
from webapp.cases.models import Case, CaseStatus

pytestmark = pytest.mark.django_db


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]*)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def _references(page: str) -> list[str]:
    return re.findall(r'data-label="Reference"><a class="govuk-link" href="/cases/([^/"]+)/"',
                      page)


@pytest.fixture
def sixty_cases():
    """A force with 60 cases opened an hour apart (two pairs at the same moment); every third
    one closed. The decision maker sees them all."""
    people = factories.csods_officers("contact_handler", "decision_maker")
    first = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    start = timezone.now() - timedelta(days=10)
    for number in range(1, 60):
        clone = Case.objects.get(pk=first.pk)
        clone.pk, clone.reference = None, f"HRT-2026-{900 + number}"
        clone.opened_at = start + timedelta(hours=number if number not in (31, 32) else 30)
        clone.status = CaseStatus.CLOSED if number % 3 == 0 else CaseStatus.OPEN
        clone.save()
    newest = list(Case.objects.order_by("-opened_at", "-pk").values_list("reference", "status"))
    return people["decision_maker"], newest


def _walk(client, url: str) -> tuple[list[list[str]], list[str]]:
    """Follow Next from ``url`` to the end: the references of each page and the pages."""
    shown, pages = [], []
    while url:
        page = client.get(url).content.decode()
        shown.append(_references(page))
        pages.append(page)
        url = _link(page, "next") and "/cases/" + _link(page, "next")
    return shown, pages


def test_the_case_list_pages_through_every_case_newest_first(sixty_cases):
    boss, newest = sixty_cases
    client = signed_in(boss)

    shown, pages = _walk(client, "/cases/")

    assert [len(rows) for rows in shown] == [25, 25, 10]
    assert [ref for rows in shown for ref in rows] == [ref for ref, _ in newest]
    assert _link(pages[0], "prev") is None and "Page 1: 25 cases, newest first; more on the " \
        "next page." in pages[0]
    assert "Page 3</span>" in pages[2] and "more on the next page" not in pages[2]
    # back from the last page: the second page again, then the first (without a cursor)
    back = client.get("/cases/" + _link(pages[2], "prev")).content.decode()
    assert _references(back) == shown[1] and "Page 2</span>" in back
    assert _link(back, "prev") == "?"
    assert _references(client.get("/cases/?").content.decode()) == shown[0]


def test_the_filters_stay_on_the_next_and_previous_pages(sixty_cases):
    boss, newest = sixty_cases
    closed = [ref for ref, status in newest if status == CaseStatus.CLOSED]
    opened = [ref for ref, status in newest if status == CaseStatus.OPEN]
    client = signed_in(boss)

    shown, pages = _walk(client, "/cases/?status=closed")
    assert [ref for rows in shown for ref in rows] == closed and len(shown) == 1
    assert "19 cases found." in pages[0]

    shown, pages = _walk(client, "/cases/?status=open")
    assert [ref for rows in shown for ref in rows] == opened
    assert "status=open" in _link(pages[1], "prev") or _link(pages[1], "prev") == "?status=open"


def test_a_page_of_the_case_list_costs_the_same_statements_and_counts_nothing(sixty_cases):
    boss, _ = sixty_cases
    client = signed_in(boss)
    first = client.get("/cases/").content.decode()
    statements = []
    for url in ("/cases/", "/cases/" + _link(first, "next"), "/cases/?status=closed"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        statements.append(len(captured))
        assert not [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()], url
    assert len(set(statements)) == 1, statements


def test_a_cursor_typed_wrong_shows_the_first_page(sixty_cases):
    boss, newest = sixty_cases
    page = signed_in(boss).get("/cases/?after=yesterday_x&page=7").content.decode()
    assert _references(page) == [ref for ref, _ in newest[:25]]
    assert "Page 1:" in page


@pytest.fixture
def busy_log():
    """An auditor and 130 access-log entries by two officers over two cases."""
    people = factories.csods_officers("case_officer", "decision_maker")
    auditor = factories.officer("auditor", people["force"], "auditor")
    for number in range(130):
        who = people["case_officer"] if number % 2 else people["decision_maker"]
        record(actor=who, operation=Operation.CONSULT, object_type="case",
               object_id="HRT-2026-1" if number % 5 else "HRT-2026-2",
               justification=f"entry {number}")
    return auditor


def _log_walk(client, url: str) -> list[list[str]]:
    shown = []
    while url:
        page = client.get(url).content.decode()
        shown.append(re.findall(r"entry (\d+)", page))
        url = _link(page, "next") and "/audit/" + _link(page, "next")
    return shown


def test_the_access_log_pages_newest_first_with_its_filters(busy_log):
    client = signed_in(busy_log)
    entries = list(AccessLog.objects.filter(justification__startswith="entry ")
                   .order_by("-at", "-pk").values_list("justification", "actor_username",
                                                       "object_id"))

    shown = _log_walk(client, "/audit/")
    assert [len(rows) for rows in shown] == [50, 50, 30]
    assert [n for rows in shown for n in rows] == [j.split()[1] for j, _, _ in entries]

    shown = _log_walk(client, "/audit/?user=case_officer")
    assert [n for rows in shown for n in rows] == [
        j.split()[1] for j, user, _ in entries if user == "case_officer"]
    assert [len(rows) for rows in shown] == [50, 15]

    shown = _log_walk(client, "/audit/?case=HRT-2026-2")
    assert [n for rows in shown for n in rows] == [
        j.split()[1] for j, _, case in entries if case == "HRT-2026-2"]

    today = timezone.localdate()
    later = today + timedelta(days=1)
    assert _log_walk(client, f"/audit/?user=case_officer&from={later}") == [[]]
    shown = _log_walk(client, f"/audit/?user=case_officer&from={today}&to={today}")
    assert sum(len(rows) for rows in shown) == 65
