"""Declared letters are checked by the lint with the file and line to fix: a missing template,
a field no form has, a refused construct, a stage or outcome the scheme does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import check_files, load_files
from engine.definitions import read_folder
from engine.letter_check import letter_words
from engine.letter_template import LetterProblem, render_html, sample

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
ROLES = ["contact_handler", "case_officer", "decision_maker", "disclosure_officer"]
LETTERS = {"non_disclosure_letter", "disclosure_script", "confidentiality_agreement",
           "undertaking", "case_summary"}


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return read_folder(PROCESSES / "csods")


def _problems(files: dict[str, bytes]) -> list[str]:
    return [str(p) for p in check_files(files, "csods", roles=ROLES)]


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("scheme", ["csods", "dvds"])
def test_both_schemes_declare_their_letters_and_every_template_renders(scheme: str) -> None:
    definition = load_files(read_folder(PROCESSES / scheme), scheme, roles=ROLES)
    assert {letter.key for letter in definition.scheme.letters} == LETTERS
    words = sample(letter_words(definition.scheme, definition.forms))
    for letter in definition.scheme.letters:
        html = render_html(definition.files[letter.template].decode(), words)
        assert "[Reference]" in html or letter.key == "confidentiality_agreement"
        assert "{{" not in html


def test_a_missing_template_is_an_error_at_the_line_of_its_declaration(files) -> None:
    edited = {n: b for n, b in files.items() if n != "letters/undertaking.html"}
    line = _line(files["scheme.json"].decode(), '"key": "undertaking"')
    assert any(p.startswith(f"scheme.json:{line}:") and "letters/undertaking.html is missing" in p
               for p in _problems(edited)), _problems(edited)


def test_a_field_no_form_has_is_an_error_at_its_line_in_the_template(files) -> None:
    text = files["letters/case_summary.html"].decode() + "\n<p>{{ decision.colour }}</p>\n"
    problems = _problems({**files, "letters/case_summary.html": text.encode()})
    line = len(text.splitlines())
    assert any(p.startswith(f"letters/case_summary.html:{line}:")
               and "'decision' has no field 'colour'" in p for p in problems), problems


def test_an_unknown_stage_or_outcome_is_an_error(files) -> None:
    text = files["scheme.json"].decode().replace('"stages": ["ca_interview"]',
                                                 '"stages": ["ca_nowhere"]', 1)
    text = text.replace('"outcomes": ["NoDisclosure"]', '"outcomes": ["Nothing"]', 1)
    problems = _problems({**files, "scheme.json": text.encode()})
    assert any("'ca_nowhere' is not a call activity or subprocess" in p for p in problems)
    assert any("outcome 'Nothing' is not declared" in p for p in problems)


@pytest.mark.parametrize("template", [
    '{% include "/etc/passwd" %}', "{% load static %}", '<img src="file:///etc/passwd">',
    '<link href="http://127.0.0.1:9/x.css">', "{% set x = 1 %}", "{{ case.reference.upper() }}",
    "{% for x in case.outcomes recursive %}{% endfor %}", "<script>alert(1)</script>",
    '<p>{{ "<img src=x>" }}</p><p {{ "src" }}="x">x</p>',
])
def test_hostile_templates_are_refused_before_anything_is_loaded(template: str) -> None:
    with pytest.raises(LetterProblem):
        render_html(template, {"case": {"reference": "R1"}})


def test_values_are_escaped_so_case_data_cannot_add_markup() -> None:
    html = render_html("<p>{{ applicant }}</p>", {"applicant": '<img src="file:///etc/passwd">'})
    assert "&lt;img" in html and "<img" not in html


def test_a_letter_that_would_grow_past_its_bound_is_refused() -> None:
    many = ["x" * 1000] * 1000
    with pytest.raises(LetterProblem, match="longer than"):
        render_html("{% for a in items %}{% for b in items %}{{ b }}{% endfor %}{% endfor %}",
                    {"items": many})


def test_loops_that_print_nothing_are_bounded_by_their_steps() -> None:
    """Loops over the case's lists spend one budget: nested loops that print nothing stop."""
    items = list(range(400))
    with pytest.raises(LetterProblem, match="more than 100,000 steps"):
        render_html("{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}",
                    {"items": items})
    # a few loops over a short list are fine
    assert render_html("{% for a in items %}{{ a }}{% endfor %}", {"items": [1, 2]}) == "12"


def test_a_text_is_not_looped_over_letter_by_letter() -> None:
    with pytest.raises(LetterProblem, match="letters of a text"):
        render_html("{% for c in concern %}{% endfor %}", {"concern": "x" * 5000})


@pytest.mark.parametrize("loop", ["{% for a in [1, 2, 3] %}{% endfor %}",
                                  "{% for a in 'abc' %}{% endfor %}",
                                  "{% for a in items|join(',') %}{% endfor %}"])
def test_a_loop_over_anything_but_the_cases_lists_is_refused(loop: str) -> None:
    with pytest.raises(LetterProblem, match="loop only over a list"):
        render_html(loop, {"items": ["a"]})


def test_the_schemes_stylesheet_goes_into_each_letter_and_is_checked(files) -> None:
    from engine.letter_template import stylesheet_problem, with_stylesheet

    html = render_html("<html><head><title>T</title></head><body><p>x</p></body></html>", {},
                       "h1 { font-size: 16pt; }")
    assert html.index("<style>") < html.index("<title>") and "font-size: 16pt" in html
    assert with_stylesheet("<p>x</p>", "p { color: red; }").startswith("<style>")
    assert stylesheet_problem("p { color: red; }") is None
    assert stylesheet_problem("p {}\nbody { background: url(http://x) }")[0] == 2
    assert "leave its <style>" in stylesheet_problem("p {} </style><img src=x>")[1]
    with pytest.raises(LetterProblem, match="stylesheet is refused"):
        render_html("<p>x</p>", {}, "@import 'http://x';")
    # in the lint, with its line
    broken = {**files, "letters/style.css": b"p {}\n@font-face { src: url(x) }\n"}
    found = [p for p in check_files(broken, "csods", roles=ROLES)
             if p.file == "letters/style.css"]
    assert [(p.line, p.severity) for p in found] == [(2, "error")]
