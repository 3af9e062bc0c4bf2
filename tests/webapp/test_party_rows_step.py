"""A case's party rows and name words after each step: a new case writes them without reading
any back, and a later step that names someone new rewrites them, so that a person search finds
the new name (and the force's vocabulary counts each word once per case)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import time_machine

from tests import factories
from tests.factories import page_html
from webapp.cases import services
from webapp.cases.models import CaseParty, NameWord

pytestmark = pytest.mark.django_db(transaction=False)


def _found(user, words: str) -> str:
    return page_html(user, f"/cases/?{urlencode({'q': words})}")


def _vocabulary(force_id: int) -> dict[str, int]:
    return dict(NameWord.objects.filter(force_id=force_id).values_list("word", "cases"))


def _words_of_rows(case_id: int) -> set[str]:
    return {w for text in CaseParty.objects.filter(case_id=case_id, kind__in=("name", "aliases"))
            .values_list("search", flat=True) for w in text.split()}


def test_a_step_naming_a_new_person_rewrites_the_party_rows_and_name_words():
    users = factories.csods_officers()
    force_id = users["force"].pk
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        case = services.case_start(user=users["contact_handler"],
                                   data=factories.sample("enquiry"))
        # the new case's rows and words, written without reading any back
        assert _words_of_rows(case.pk) == set(_vocabulary(force_id))
        assert "quartermaine" not in _vocabulary(force_id)
        before = CaseParty.objects.filter(case_id=case.pk).count()
        recipient = {**factories.sample("decision")["recipient"], "name": "Zebedee Quartermaine"}
        factories.walk(case, users, clock, answers={"ut_decision": {"recipient": recipient}})
    # the decision step named the person told: the rows were rewritten, not added to
    rows = list(CaseParty.objects.filter(case_id=case.pk).values_list("party", "kind", "search"))
    assert len(rows) == len(set(rows)) == before + 1
    assert ("recipient", "name", "zebedee quartermaine") in rows
    words = _vocabulary(force_id)
    assert set(words) == _words_of_rows(case.pk)
    assert set(words.values()) == {1}  # one case: each word counted once, none twice
    html = _found(users["decision_maker"], "Quartermaine")
    assert f'href="/cases/{case.reference}/"' in html
