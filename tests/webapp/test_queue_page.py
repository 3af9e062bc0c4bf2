"""The team queue's first page: one index scan per lane, merged, is the same page as the plain
query (soonest due first, ties by id), and shows nothing outside the officer's lanes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from tests import factories
from webapp.cases import selectors
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.cases.worklist import WorkQuery

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def two_lanes():
    hrt = factories.force()
    user = factories.officer("dmdo", hrt, "decision_maker", "disclosure_officer")
    other = factories.officer("co", hrt, "case_officer")
    case = Case.objects.create(force=hrt, reference="HRT-2026-000001", scheme="mini",
                               version=factories.version(), state=b"", opened_at=T0,
                               opened_by=other)
    lanes = {"Decision maker": "decision_maker", "Disclosure officer": "disclosure_officer",
             "Case officer": "case_officer"}
    rows = []
    for i in range(40):
        lane = list(lanes)[i % 3]
        rows.append(HumanTask(
            case=case, force=hrt, engine_task_id=uuid.uuid4(), bpmn_id=f"t{i}", name=f"Task {i}",
            lane=lane, role=lanes[lane], created_at=T0, state=TaskState.READY,
            # Equal due times across lanes, some none at all: the order must still be total.
            due_at=None if i % 7 == 0 else T0 + timedelta(hours=i % 5),
            assignee=other if i % 11 == 0 else None))
    HumanTask.objects.bulk_create(rows)
    return user.membership


@pytest.mark.parametrize("limit", [1, 5, 12, 50])
def test_the_merged_page_is_the_plain_querys_page(two_lanes, limit):
    expected = [t.pk for t in selectors.queue(two_lanes)[:limit]]
    page = selectors.queue_page(two_lanes, limit)
    assert [t.pk for t in page] == expected
    assert {t.lane for t in page} <= {"Decision maker", "Disclosure officer"}
    merged = selectors.queue_page_ids(two_lanes, limit)
    assert (merged is None) == (connection.vendor == "sqlite")  # PostgreSQL merges lane scans


def test_claimed_tasks_leave_the_page(two_lanes):
    first = selectors.queue_page(two_lanes, 5)[0]
    HumanTask.objects.filter(pk=first.pk).update(assignee=two_lanes.user)
    assert first.pk not in [t.pk for t in selectors.queue_page(two_lanes, 5)]


@pytest.mark.parametrize("sort", ["risk", "due", "-due", "received", "-received"])
@pytest.mark.parametrize("offset", [0, 7])
def test_a_sorted_filtered_later_page_is_the_plain_querys_page(two_lanes, sort, offset):
    query = WorkQuery(sort=sort, due="overdue")
    with time_machine.travel(T0 + timedelta(hours=2, minutes=30), tick=False):
        expected = [t.pk for t in selectors.queue(two_lanes, query=query)[offset:offset + 6]]
        page = selectors.queue_page(two_lanes, 6, query=query, offset=offset)
    assert [t.pk for t in page] == expected and expected
