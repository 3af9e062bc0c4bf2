"""The vocabulary migration counts the name words of the cases already recorded, so a misspelt
name finds them before their next step."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories
from tests.factories import page_html
from webapp.cases import services
from webapp.cases.models import NameWord

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("cases", "0019_worklist_received")]
AFTER = [("cases", "0020_name_words")]


def test_existing_cases_name_words_are_counted_by_the_migration():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    lead = factories.officer("lead", hrt, "decision_maker")
    contact = factories.officer("contact", hrt, "contact_handler")
    cases = [services.case_start(user=contact, data=factories.sample("enquiry"))
             for _ in range(2)]
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("cases", "CaseParty")
    for case in cases:
        old.objects.filter(case_id=case.pk).delete()
        old.objects.create(case_id=case.pk, force_id=hrt.pk, party="applicant",
                           search="sarah tremayne", phonetic=" SR TRMN ")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    words = dict(NameWord.objects.filter(force=hrt).values_list("word", "cases"))
    assert words == {"sarah": 2, "tremayne": 2}
    found = page_html(lead, "/cases/?q=Tremayme")
    assert all(case.reference in found for case in cases)
