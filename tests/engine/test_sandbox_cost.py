"""The cost model that decides what diagram code runs in-process and what goes to the host."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.instructions import template_runs_in_process
from engine.lint import NS, _expressions
from engine.sandbox_cost import python_is_bounded
from engine.sandbox_guards import SandboxViolation, check_storable
from tests import factories


def _csods_root() -> etree._Element:
    return etree.parse(str(factories.CSODS / "csods.bpmn")).getroot()


def test_the_national_process_conditions_and_timers_run_in_process() -> None:
    """They run on every step: sending them to the host would cost the engine's throughput."""
    found = [(kind, source.strip()) for _, kind, source in _expressions(_csods_root())
             if kind != "exec"]
    assert found
    assert all(python_is_bounded(source, "eval") for _, source in found), found


def test_the_national_process_instructions_render_in_process() -> None:
    templates = [el.text or "" for el in _csods_root().iterfind(
        ".//spiffworkflow:instructionsForEndUser", NS)]
    assert templates
    assert all(template_runs_in_process(t) for t in templates)


@pytest.mark.parametrize(("source", "mode"), [
    ("x * 2", "eval"), ("x ** 2", "eval"), ("x << 2", "eval"), ("'%s' % x", "eval"),
    ("[a for a in x]", "eval"), ("sorted(x)", "eval"), ("x.count('a')", "eval"),
    ("(lambda: 1)()", "eval"), ("sum(x, [])", "eval"), ("1j", "eval"),
    # In a script, one statement's result feeds the next: anything that can double a value.
    ("a = b + b", "exec"), ("a = f'{b}{b}'", "exec"), ("a = [b, b]", "exec"),
    ("for i in x:\n    pass", "exec"), ("def f():\n    return 1", "exec"),
    ("a = " + " and ".join(["x"] * 300), "eval"),
    ("codes = codes + [c for c in data if c]", "exec"), ("a = [c for c in [b, b]]", "exec"),
    ("[[a for a in [1]] for b in [2]]", "eval"), ("a = list(b) + list(b)", "exec"),
    # Within one expression, a display of names repeated by a comprehension or written out
    # many times multiplies sizes just as a chain of statements does.
    ("len([str([n, n, n]) for i in [0, 0, 0]]) > 0", "eval"), ("[list(n) for i in [0, 0]]", "eval"),
    ("str([n, n, n, n, n])", "eval"), ("str(a) + str(b)", "eval"),
    ("str(a) == str(b) == str(c) == str(d) == str(e)", "eval"), ("f'{a}{a}{a}{a}{a}'", "eval"),
    ("[c.upper for c in [a, b] if c]", "eval"), ("a + b", "eval"),
])
def test_code_that_is_not_provably_cheap_goes_to_the_host(source: str, mode: str) -> None:
    assert not python_is_bounded(source, mode)


@pytest.mark.parametrize(("source", "mode"), [
    ("score >= 20 and not closed", "eval"), ("len(children) > 0 and children[0]['age'] < 16",
                                             "eval"),
    ("{'a': x, 'b': y['k']}", "eval"), ("f'{x} days'", "eval"), ("'PT' + hours", "eval"),
    ("case_closed = True\nroute = 'panel' if urgent else 'single'", "exec"),
    ("codes = ['A', 'B']", "exec"),
    ("codes = list(codes or [])\ncodes = codes + [c for c in ['A' if x == 1 else 'B', 'C' if y "
     "else ''] if c and c not in codes]", "exec"),
    ("[c for c in ['a', 'b'] if c not in codes]", "eval"),
])
def test_names_lookups_and_comparisons_run_in_process(source: str, mode: str) -> None:
    assert python_is_bounded(source, mode)


@pytest.mark.parametrize("template", [
    "{% for i in x %}{% for j in x %}{% endfor %}{% endfor %}",
    "{% for i in x %}{{ y }}{% endfor %}", "{% for i in range(9) %}{% endfor %}",
    "{% set a = b ~ b %}{{ a }}", "{{ x * 2 }}", "{{ x|center(99) }}", "{{ x.items() }}",
    "{{ 10**10 }}", "{% macro m() %}{% endmacro %}",
    # written out together, many values read from case data make one huge text
    "{{ " + " ~ ".join(["n"] * 30) + " }}", "{{ [" + ", ".join(["n"] * 30) + "]|string|length }}",
    "{{ [n, n, n, n, n]|join }}", "{{ a|string }}{{ b|string }}{{ c|string }}{{ d|string }}"
    "{{ e|string }}",
])
def test_templates_that_are_not_provably_cheap_go_to_the_host(template: str) -> None:
    assert not template_runs_in_process(template)


@pytest.mark.parametrize("value", [
    [[0] * 1000] * 1000,  # a million elements by aliasing: counted every time
    {"a": "x" * 100_001}, {i * (2**61 - 1): 0 for i in range(3)}, {(1, 2): 0}, 1j,
    2**5000, object(),
])
def test_values_diagram_code_cannot_hand_back(value: object) -> None:
    with pytest.raises(SandboxViolation):
        check_storable(value)


def test_a_value_nested_too_deeply_cannot_be_handed_back() -> None:
    value: list = []
    for _ in range(100):
        value = [value]
    with pytest.raises(SandboxViolation, match="nested"):
        check_storable(value)
