"""Return categories in scheme.json: how each is counted is read from the declaration (both
formats), and each broken reference is an error at the line of the category."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import check_files, load_files
from engine.definitions import read_folder
from engine.scheme import build

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
ROLES = ["contact_handler", "case_officer", "decision_maker", "disclosure_officer"]


@pytest.fixture(scope="module")
def csods() -> dict[str, bytes]:
    return read_folder(PROCESSES / "csods")


def _edited(files: dict[str, bytes], old: str, new: str) -> dict[str, bytes]:
    text = files["scheme.json"].decode()
    assert old in text
    return {**files, "scheme.json": text.replace(old, new, 1).encode()}


def _line(files: dict[str, bytes], words: str) -> int:
    return next(n for n, text in enumerate(files["scheme.json"].decode().splitlines(), 1)
                if words in text)


def test_each_category_says_what_it_counts_and_by_which_date(csods: dict[str, bytes]) -> None:
    scheme = load_files(csods, "csods", roles=ROLES).scheme
    every, offender, disclosure = (scheme.return_rule(k) for k in
                                   ("applications", "registered_sex_offender", "disclosure"))
    assert every is not None and every.every and every.date == "opened"
    assert offender is not None and not offender.every
    assert (offender.answer, offender.equals) == ("registered_sex_offender", True)
    assert disclosure is not None and disclosure.closed_only
    assert disclosure.outcomes == ("DisclosureChildSexualOffence", "DisclosureOtherInformation")
    assert scheme.returns["registered_sex_offender"] == (
        "Applications about a registered sex offender")
    assert scheme.whole_case_clock() is not None
    assert scheme.whole_case_clock().name == "overall"


def test_dvds_counts_each_route_and_its_disclosures() -> None:
    scheme = load_files(read_folder(PROCESSES / "dvds"), "dvds", roles=ROLES).scheme
    asked = scheme.return_rule("right_to_ask_disclosure")
    assert asked is not None and asked.also == ("right_to_ask",)
    assert asked.outcomes == ("Disclosure",) and asked.closed_only
    assert scheme.counted_codes("right_to_know") == ("RightToKnow",)


def test_the_first_format_still_reads_labels_and_outcome_counts() -> None:
    scheme = build({"returns": {"applications": "Applications", "disclosure": "Disclosures"},
                    "outcomes": {"Told": {"label": "Told", "counts": ["disclosure"]}}})
    every, told = scheme.return_rule("applications"), scheme.return_rule("disclosure")
    assert every is not None and every.every and every.date == "opened"
    assert told is not None and told.outcomes == ("Told",) and told.closed_only
    assert scheme.returns == {"applications": "Applications", "disclosure": "Disclosures"}


@pytest.mark.parametrize(("old", "new", "words"), [
    ('"answer": "registered_sex_offender"', '"answer": "on_the_register"',
     "return 'registered_sex_offender': no form has a field 'on_the_register'"),
    ('"outcomes": ["DisclosureChildSexualOffence"', '"outcomes": ["DisclosureMade"',
     "return 'disclosure': 'DisclosureMade' is not a declared outcome"),
    ('"disclosure": {"label": "Disclosures", "date": "closed",',
     '"disclosure": {"label": "Disclosures", "date": "closed", "also": ["nowhere"],',
     "return 'disclosure': 'nowhere' is not another return category"),
    ('"date": "closed"', '"date": "decided"', "returns/disclosure"),
    ('"label": "Applications", "date": "opened"',
     '"label": "Applications", "date": "opened", "counted": "always"', "returns/applications"),
])
def test_a_broken_category_is_an_error_at_its_line(csods: dict[str, bytes], old: str, new: str,
                                                    words: str) -> None:
    edited = _edited(csods, old, new)
    errors = [str(p) for p in check_files(edited, "csods", roles=ROLES) if p.severity == "error"]
    line = _line(edited, new.split(",", maxsplit=1)[0] if "also" not in new else new[:30])
    found = [e for e in errors if words in e]
    assert found, errors
    assert any(e.startswith("scheme.json:") for e in found), found
    if "is not" in words or "no form" in words:
        assert any(e.startswith(f"scheme.json:{line}:") for e in found), (line, found)
