"""The person-search migration gives the name rows of existing cases their search keys, so that
a misspelt name finds them before their next step."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories
from tests.factories import page_html
from webapp.cases import services
from webapp.cases.models import CaseParty

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("cases", "0012_notes_attachments")]
AFTER = [("cases", "0013_people_search")]


def test_existing_name_rows_are_found_by_sound_after_the_migration():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    lead = factories.officer("lead", hrt, "decision_maker")
    case = services.case_start(user=factories.officer("contact", hrt, "contact_handler"),
                               data=factories.sample("enquiry"))
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("cases", "CaseParty")
    old.objects.filter(case_id=case.pk).delete()
    old.objects.create(case_id=case.pk, party="applicant", search="sarah o'collins")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    row = CaseParty.objects.get(case=case)
    assert (row.kind, row.search, row.phonetic) == ("name", "sarah o collins", " SR O KLNS ")
    assert case.reference in page_html(lead, "/cases/?q=Kollins")
