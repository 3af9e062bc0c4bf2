"""The migration to declared parties keeps the names of existing cases, searchable and masked
as the case's version declares."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("cases", "0007_queue_by_role")]
AFTER = [("cases", "0008_cases_parties_risks")]


def test_old_party_columns_become_declared_parties_and_search_rows():
    version = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=version)
    user = factories.officer("officer", hrt, "case_officer")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old.get_model("cases", "Case").objects.create(
        force_id=hrt.pk, reference="HRT-2026-000001", version_id=version.pk, state=b"",
        opened_at=timezone.now(), opened_by_id=user.pk, applicant_name="Sarah Collins",
        subject_name="Mark Devlin", child_names="Ellie Collins, Sam Collins")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps

    case = new.get_model("cases", "Case").objects.get(reference="HRT-2026-000001")
    assert case.parties == {"applicant": ["Sarah Collins"], "subject": ["Mark Devlin"],
                            "children": ["Ellie Collins", "Sam Collins"]}
    rows = set(new.get_model("cases", "CaseParty").objects.values_list(
        "party", "search", "hidden_from"))
    assert rows == {("applicant", "sarah collins", ""),
                    ("subject", "mark devlin", " contact_handler "),
                    ("children", "ellie collins", ""), ("children", "sam collins", "")}
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
