"""Finding people: the outside user's five searches that found nothing ("000016", the alias
"Deano", "Marsh Dean", a phone number, the misspelling "Okafour") now find the cases, on SQLite
and on PostgreSQL; and a search shows a case outside the user's work only as "a case exists"."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.factories import page_html
from webapp.cases import services
from webapp.cases.models import Case, CaseParty, NameWord

pytestmark = pytest.mark.django_db

DVDS = factories.ROOT / "processes" / "dvds"


def _application(subject: dict, person_at_risk: dict | None = None) -> dict:
    data = json.loads((DVDS / "forms" / "samples" / "application.json").read_text())
    data["subject"] = {**data["subject"], **subject}
    data["person_at_risk"] = {**data["person_at_risk"], **(person_at_risk or {})}
    return data


@pytest.fixture
def world():
    """A force running both schemes; two contact handlers, each recording one case."""
    csods = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=csods)
    factories.deploy(hrt, factories.version("dvds", DVDS))
    people = {role: factories.officer(role, hrt, role)
              for role in ("contact_handler", "case_officer", "decision_maker")}
    people["other_contact"] = factories.officer("other.contact", hrt, "contact_handler")
    dean = services.case_start(user=people["contact_handler"], scheme="dvds", data=_application(
        {"first_name": "Dean", "last_name": "Marsh", "aliases": ["Deano"],
         "date_of_birth": "1984-02-11"},
        {"first_name": "Grace", "last_name": "Okafor", "postcode": "SG1 2AB",
         "safe_contact_details": "07700 900321"}))
    other = services.case_start(user=people["other_contact"], scheme="csods",
                                data=factories.sample("enquiry"))
    return people, dean, other


def _rows(html: str) -> set[str]:
    """References shown in full (a row with the case's link as its reference)."""
    body = html.split("<tbody", 1)[1] if "<tbody" in html else ""
    return set(re.findall(r'data-label="Reference"><a class="govuk-link" href="/cases/([^/"]+)/"',
                          body))


def _exists(html: str) -> set[str]:
    """References offered only as "a case exists — request access"."""
    return set(re.findall(r'case-exists">\s*<td[^>]*>A case exists[^<]*<a class="govuk-link" '
                          r'href="/cases/([^/"]+)/"', html))


def _search(user, words: str) -> str:
    from urllib.parse import urlencode
    return page_html(user, f"/cases/?{urlencode({'q': words})}")


@pytest.mark.parametrize("words", ["number", "Deano", "Marsh Dean", "dean marsh", "Okafour",
                                   "Marhs", "Grace Okafro", "07700 900321", "+44 7700 900321",
                                   "11/02/1984",
                                   "1984-02-11", "sg1 2ab", "SG1"])
def test_the_outside_users_searches_find_the_case(world, words):
    people, dean, other = world
    words = dean.reference.rsplit("-", 1)[1] if words == "number" else words  # like "000016"
    html = _search(people["decision_maker"], words)
    assert dean.reference in _rows(html), words
    assert other.reference not in _rows(html) | _exists(html)


def test_names_that_merely_look_alike_are_not_found(world):
    people, dean, _ = world
    for words in ("Ryan Marsh", "Okafor Dean", "07700 900999", "01/01/1984"):
        html = _search(people["decision_maker"], words)
        assert dean.reference not in _rows(html) | _exists(html), words


def test_search_rows_hold_the_declared_details(world):
    _, dean, _ = world
    kinds = set(CaseParty.objects.filter(case=dean).values_list("party", "kind", "search"))
    assert {("subject", "aliases", "deano"), ("subject", "date_of_birth", "1984-02-11"),
            ("person_at_risk", "phone", "07700900321"),
            ("person_at_risk", "postcode", "sg12ab")} <= kinds


def test_a_contact_handler_sees_their_cases_and_others_only_as_a_case_exists(world):
    people, dean, other = world
    mine = page_html(people["other_contact"], "/cases/")
    assert _rows(mine) == {other.reference}
    assert "Okafor" not in mine and dean.reference not in mine

    found = _search(people["other_contact"], "Okafour")
    assert _exists(found) == {dean.reference} and not _rows(found)
    assert "Okafor" not in found and "Grace" not in found and "Marsh" not in found
    assert "A case exists that is outside your work" in found
    assert "Request access" in found

    own = _search(people["contact_handler"], "Okafour")
    assert _rows(own) == {dean.reference} and "Grace Okafor" in own


def test_a_party_hidden_from_the_role_is_not_found_even_as_a_case_exists(world):
    people, dean, _ = world
    # the subject is hidden from contact handlers: neither name nor alias finds the case
    for words in ("Deano", "Marsh Dean", "11/02/1984"):
        html = _search(people["other_contact"], words)
        assert dean.reference not in _rows(html) | _exists(html), words


def test_request_access_leads_to_the_break_glass_form(world):
    people, dean, _ = world
    response = factories.signed_in(people["other_contact"]).get(f"/cases/{dean.reference}/")
    assert response.status_code == 403
    assert "reason" in response.content.decode().lower()


def test_erasure_blanks_the_search_details(world):
    _, dean, _ = world
    from webapp.audit.erasure import ERASED
    assert ERASED["cases.CaseParty"].fields["phonetic"] == ""
    assert ERASED["cases.Case"].fields["people"] == {}
    assert Case.objects.get(pk=dean.pk).people["subject"][0]["aliases"] == ["Deano"]


def test_filters_and_the_api_never_offer_a_case_outside_the_users_work(world):
    people, dean, _ = world
    html = _search(people["other_contact"], "Okafour")
    assert _exists(html) == {dean.reference}
    filtered = page_html(people["other_contact"], "/cases/?q=Okafour&status=open")
    assert dean.reference not in filtered

    from rest_framework.test import APIClient

    from webapp.api.auth import token_create

    for user, found in ((people["other_contact"], []), (people["contact_handler"],
                                                          [dean.reference])):
        client = APIClient()
        _, secret = token_create(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        rows = client.get("/api/v1/cases", {"q": "Okafour"}).json()["results"]
        assert [r["reference"] for r in rows] == found


def _plan_nodes(cursor, sql: str) -> list[dict]:
    """Every node of the plan of ``sql`` (``EXPLAIN (FORMAT JSON)``), subplans included."""
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
    todo, nodes = [cursor.fetchone()[0][0]["Plan"]], []
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


def _without_indexes(cursor, table: str, which: str) -> None:
    """Drop ``table``'s indexes matching ``which`` (a condition on ``indexname``) for the rest
    of the test's transaction, with sequential scans off: the planner must then show which of
    the remaining indexes a statement can use."""
    cursor.execute("SET LOCAL enable_seqscan = off")
    found = f"SELECT indexname FROM pg_indexes WHERE tablename = '{table}' AND {which}"  # noqa: S608
    cursor.execute(found)  # the test's own table and condition (LIKE patterns: no parameters)
    for (index,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{index}"')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's")
def test_every_arm_of_a_name_search_reads_an_index_led_by_the_force(world):
    """The name search reads the party rows only through the trigram indexes led by the
    force, with the searching force in every index condition, so only its force's entries are
    read (on a large table, one index scan an arm); the words a misspelt word is compared with
    are read from the force's vocabulary by an index, not from the party rows
    (docs/benchmarks.md, "Person search: every arm bounded by the force"). On this tiny table
    any index would do, so (inside the test's transaction) the party table's other indexes are
    dropped and sequential scans priced out."""
    people, dean, _ = world
    with CaptureQueriesContext(connection) as ran:
        html = _search(people["decision_maker"], "Okafour")
    assert dean.reference in _rows(html)
    searches = [q["sql"] for q in ran.captured_queries if "cases_caseparty" in q["sql"]
                and "phonetic" in q["sql"]]
    vocabulary = [q["sql"] for q in ran.captured_queries if "cases_nameword" in q["sql"]]
    # the near spellings of the one word, and whether the vocabulary counts it as common
    near = [sql for sql in vocabulary if "LIKE" in sql]
    assert len(searches) == 1 and len(near) == 1 and len(vocabulary) == 2
    assert not [q for q in ran.captured_queries if "cases_caseparty" in q["sql"]
                and q["sql"] not in searches]  # no other read of the party rows
    assert set(CaseParty.objects.filter(case=dean).values_list("force_id", flat=True)) == {
        dean.force_id}
    force = f"force_id = '{dean.force_id}'::bigint"
    with connection.cursor() as cursor:
        _without_indexes(cursor, "cases_caseparty",
                          "indexname NOT LIKE '%trgm' AND indexname NOT LIKE '%pkey'")
        nodes = _plan_nodes(cursor, searches[0])
        scans = [n for n in nodes if n.get("Relation Name") == "cases_caseparty"
                 or n.get("Index Name", "").startswith("caseparty")]
        arms = [n for n in scans if "Index Cond" in n]
        # however the planner weighs this tiny table (an index scan an arm, or one of the
        # force's entries), every index read holds the force: with the force compared as
        # another integer type it could be in no trigram index's condition
        assert arms and {n["Index Name"] for n in arms} <= {"caseparty_force_search_trgm",
                                                            "caseparty_force_phonetic_trgm"}
        assert all(force in n["Index Cond"] for n in arms), [n["Index Cond"] for n in arms]
        assert not [n for n in scans if n["Node Type"] == "Seq Scan"], scans
        # the words a misspelt word is compared with, and their counts: the force's
        # vocabulary, by an index
        for sql in vocabulary:
            read = [n for n in _plan_nodes(cursor, sql)
                    if n.get("Relation Name") == "cases_nameword"]
            assert read and all("Index" in n["Node Type"] and "force_id" in n["Index Cond"]
                                for n in read), read


def test_the_words_of_a_name_are_compared_with_the_vocabulary_read_once(world):
    """Each word of the name is compared with the force's words sharing its first letter: one
    statement for all of them where the database limits each part of a UNION (PostgreSQL),
    else one a letter."""
    people, dean, _ = world
    with CaptureQueriesContext(connection) as ran:
        html = _search(people["decision_maker"], "Grace Okafro")
    assert dean.reference in _rows(html)
    near = [q["sql"] for q in ran.captured_queries
            if "cases_nameword" in q["sql"] and "LIKE" in q["sql"]]
    one = connection.features.supports_slicing_ordering_in_compound
    assert len(near) == (1 if one else 2), near


def test_the_force_vocabulary_counts_the_cases_holding_each_name_word(world):
    """The near spellings are read from the force's name words: each counted once a case,
    gone when no case holds it any more."""
    people, dean, other = world
    words = dict(NameWord.objects.filter(force_id=dean.force_id).values_list("word", "cases"))
    assert {"dean": 1, "marsh": 1, "deano": 1, "grace": 1, "okafor": 1}.items() <= words.items()
    held = {w for name in CaseParty.objects.filter(kind__in=("name", "aliases"))
            .values_list("search", flat=True) for w in name.split()}
    assert set(words) == held
    # a second case naming Dean Marsh counts him twice; its words go when it is erased
    again = services.case_start(user=people["contact_handler"], scheme="dvds", data=_application(
        {"first_name": "Dean", "last_name": "Marsh", "aliases": [], "date_of_birth": "1984-02-11"},
        {"first_name": "Ann", "last_name": "Tremayne"}))
    assert NameWord.objects.get(force_id=dean.force_id, word="marsh").cases == 2
    assert again.reference in _rows(_search(people["decision_maker"], "Tremayme"))
    from webapp.cases.name_words import words_release
    words_release(again.pk, again.force_id)
    assert NameWord.objects.get(force_id=dean.force_id, word="marsh").cases == 1
    assert not NameWord.objects.filter(word="tremayne").exists()


def test_a_search_matching_more_rows_than_are_listed_shows_the_same_cases(world, monkeypatch):
    """The matching case ids are read first while they are few (``MATCHES_LISTED`` rows);
    beyond that the search is one statement. Either way the same cases are shown."""
    people, dean, other = world
    from webapp.cases import person_search
    searches = ("Marsh Dean", "Okafour", "11/02/1984", "07700 900321", "number", "Ryan Marsh")
    searches = [dean.reference.rsplit("-", 1)[1] if w == "number" else w for w in searches]
    listed = {w: (_rows(h), _exists(h)) for w in searches
              for h in [_search(people["other_contact"], w) + _search(people["decision_maker"], w)]}
    monkeypatch.setattr(person_search, "MATCHES_LISTED", 0)
    for words in searches:
        html = _search(people["other_contact"], words) + _search(people["decision_maker"], words)
        assert (_rows(html), _exists(html)) == listed[words], words
    assert listed["Marsh Dean"][0] == {dean.reference}
    assert listed["Okafour"][1] == {dean.reference}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's")
def test_a_search_with_digits_reads_the_references_by_an_index(world):
    """A date or a number is looked for in the references through the indexes on the
    upper-cased reference (cases migration 0022), not by testing every case of the force."""
    people, dean, _ = world
    number = dean.reference.rsplit("-", 1)[1]
    with CaptureQueriesContext(connection) as ran:
        html = _search(people["decision_maker"], number)
    assert dean.reference in _rows(html)
    first = [q["sql"] for q in ran.captured_queries if "UNION ALL" in q["sql"]
             and "cases_caseparty" in q["sql"]]
    assert len(first) == 1
    with connection.cursor() as cursor:
        # on this tiny table the force's own indexes would do: dropped inside the transaction
        _without_indexes(cursor, "cases_case", "indexname LIKE '%force%'")
        scans = [n for n in _plan_nodes(cursor, first[0])
                 if n.get("Relation Name") == "cases_case" or "Index Name" in n]
    indexes = {n.get("Index Name") for n in scans}
    assert {"case_reference_upper", "case_reference_upper_trgm"} <= indexes, scans
