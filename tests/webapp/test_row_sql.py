"""The step path's SQL writes the same rows as the ORM: an appended row read back is the row that
``save()`` would have stored, field for field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from tests import factories
from webapp import row_sql
from webapp.audit.models import AccessLog
from webapp.cases import services, step_sql
from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState
from webapp.clocks import clock_sql
from webapp.row_sql import insert

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night the clocks go forward


@pytest.fixture
def case():
    officer = factories.officer("olive", factories.force(), "case_officer")
    return services.case_start(user=officer, data={
        "concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7}]})


def _stored(model, pk):
    row = model.objects.get(pk=pk)
    return {k: v for k, v in model_to_dict(row).items() if k != "id"}


@pytest.mark.parametrize("data", [None, {"children": [{"name": "Amy", "age": 7}], "ok": True},
                                  ["a", 1, None], "text with 'quotes' and \\ slashes"])
def test_an_inserted_case_event_is_the_row_save_would_write(case, data):
    fields = dict(case=case, at=AT, actor=case.opened_by, kind="completed", stage="1. Stage",
                  task_name="Enter", bpmn_id="ut_enter", detail="d", data=data)
    saved = CaseEvent(**fields)
    saved.save()
    fast = CaseEvent(**fields)
    insert(fast)
    assert fast.pk is not None and fast.pk != saved.pk
    assert _stored(CaseEvent, fast.pk) == _stored(CaseEvent, saved.pk)


def test_an_inserted_access_log_entry_keeps_its_defaults(case):
    entry = AccessLog(at=AT, actor=None, actor_username="system", operation="alter",
                      object_type="case", object_id=case.reference, fields=["status"],
                      prev_hash="0" * 64, hash="1" * 64)
    insert(entry)
    stored = AccessLog.objects.get(pk=entry.pk)
    assert (stored.fields, stored.recipients, stored.at) == (["status"], [], AT)


def test_closing_and_assigning_task_rows_by_sql(case):
    task = HumanTask.objects.get(case=case, state=TaskState.READY)
    step_sql.set_assignee(task.pk, case.opened_by_id)
    assert HumanTask.objects.get(pk=task.pk).assignee_id == case.opened_by_id
    step_sql.close_tasks(case.pk, [str(task.engine_task_id)], TaskState.CANCELLED, AT, None)
    closed = HumanTask.objects.get(pk=task.pk)
    assert (closed.state, closed.completed_at, closed.completed_by_id) == ("cancelled", AT, None)
    step_sql.close_tasks(case.pk, [str(task.engine_task_id)], TaskState.COMPLETED, AT,
                         case.opened_by_id)
    assert HumanTask.objects.get(pk=task.pk).state == "cancelled"  # only READY rows close


def test_several_rows_in_one_insert_get_their_own_ids_in_order(case):
    rows = [CaseEvent(case=case, at=AT, kind="claimed", detail=f"row {i}") for i in range(3)]
    row_sql.insert_many(rows)
    assert [CaseEvent.objects.get(pk=r.pk).detail for r in rows] == ["row 0", "row 1", "row 2"]
    row_sql.insert_many([])  # nothing to write is not an error


def test_an_updated_case_is_the_row_save_would_write(case):
    twin = Case.objects.get(pk=case.pk)
    for row in (case, twin):
        row.stage, row.outcome_codes, row.next_due_at = "2. Interview", ["X"], AT
        row.revision += 1
    row_sql.update(case)
    after_sql = _stored(Case, case.pk)
    twin.save()
    assert _stored(Case, case.pk) == after_sql
    assert after_sql["outcome_codes"] == ["X"] and after_sql["next_due_at"] == AT


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_step_reads_survive_a_migration_that_adds_a_column():
    """Prepared statements live as long as the connection: a migration adding a column (made
    by another connection, as a deployment does) must not make the step reads fail with
    "cached plan must not change result type", as a prepared ``SELECT *`` does."""
    import psycopg

    reads = (lambda: step_sql.timer_rows(0), lambda: clock_sql.clock_rows(0),
             lambda: step_sql.lock_case_of_task(0, 0), lambda: step_sql.task(0))

    def run_all() -> None:
        for read in reads:
            try:
                read()
            except HumanTask.DoesNotExist:
                pass

    for _ in range(4):  # past the prepare threshold
        run_all()
    tables = ("cases_casetimer", "clocks_caseclock", "cases_case", "cases_humantask")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None), params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as deployer:
        for table in tables:
            deployer.execute(f"ALTER TABLE {table} ADD COLUMN added_later integer")
        try:
            run_all()
        finally:
            for table in tables:
                deployer.execute(f"ALTER TABLE {table} DROP COLUMN added_later")


def test_rows_read_together_are_the_rows_the_orm_reads(case):
    """``read_parts``: each part's rows as the ORM reads them (JSON decoded, dates aware), a
    LEFT JOIN that finds nothing as None, a part with no rows as an empty list."""
    user_model = case.opened_by.__class__
    insert(CaseEvent(case=case, at=AT, actor=None, kind="closed", detail="no one's"))
    events, tasks, none = row_sql.read_parts([
        row_sql.Part(((CaseEvent, "e"), (user_model, "u")),
                     f"FROM {row_sql.table(CaseEvent)} e LEFT JOIN {row_sql.table(user_model)}"
                     " u ON u.id = e.actor_id WHERE e.case_id = %s", (case.pk,)),
        row_sql.Part(((HumanTask, "t"),), f"FROM {row_sql.table(HumanTask)} t "
                     "WHERE t.case_id = %s AND t.state = %s", (case.pk, TaskState.READY)),
        row_sql.Part(((Case, "c"),), f"FROM {row_sql.table(Case)} c WHERE c.id = %s", (-1,),
                     defer=("c.state",)),
    ])
    by_orm = {e.pk: e for e in CaseEvent.objects.filter(case=case)}
    assert sorted(e.pk for e, _ in events) == sorted(by_orm) and none == []
    for event, actor in events:
        assert model_to_dict(event) == model_to_dict(by_orm[event.pk])
        assert (actor.pk if actor else None) == by_orm[event.pk].actor_id
    assert any(actor is None for _, actor in events) and any(actor for _, actor in events)
    assert [task.pk for task, in tasks] == list(
        case.tasks.filter(state=TaskState.READY).values_list("pk", flat=True))
