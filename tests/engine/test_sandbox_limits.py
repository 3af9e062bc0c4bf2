"""Diagram code cannot stall or exhaust a worker: a corpus of stall and exhaustion payloads.

Each payload once held the interpreter lock for seconds (work done in C inside builtins,
comparisons, formatting, hashing or Jinja's constant folding, which the work budget does not
see) or allocated gigabytes. Each must now be stopped within 2 s (a generous bound: the sandbox
host's limit is 1 s) with a clear error naming the element: at check time a problem on that
element, at run time a refused step that leaves the stored state as it was.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest

from engine import EngineError, ProcessInstance, check_files, load_files
from engine.definitions import read_folder
from engine.instructions import MAX_RENDERED, check_instructions, render_instructions
from tests.engine.conftest import ALL_LANES, FIXTURES

BOUND = 2.0  # seconds; the host stops code after 1 s
ENTER = {"concern": "x", "children": [{"name": "Amy", "age": 7}]}
MINI_SCRIPT = 'score = sum(c["age"] &lt; 16 for c in children) * 10 + len(concern)'
MINI_TIMER = ">limit_initial<"
MINI_INSTRUCTIONS = "Record the details for {{ applicant.name }} within {{ limit_initial }}."

EXPRESSIONS = {
    # The outside test's four timer expressions.
    "set_of_colliding_hashes": "set([i*(2**61-1) for i in range(25000)])",
    "sum_of_lists": "sum([[0]*999]*1200,[])",
    "aliased_lists_compared": "[[0]*60000]*60000 == [[0]*60000]*59999+[[1]]",
    "str_of_aliased_list": "len(str([['a'*99999]]*99999))",
    # Our own.
    "dict_of_colliding_keys": "{i*(2**61-1): 0 for i in range(25000)}",
    "sorted_of_aliased_lists": "sorted([[0]*99999]*99999)",
    "min_of_aliased_lists": "min([[0]*99999]*99999)",
    "repr_of_aliased_list": "len(repr([[0]*99999]*9999))",
    "fstring_of_aliased_list": "len(f'{[[0]*99999]*9999}')",
    "percent_format_of_aliased_list": "len('%s' % ([[0]*99999]*9999,))",
    "dicts_of_aliased_lists_compared":
        "dict.fromkeys(range(99999), [0]*99999) == dict.fromkeys(range(99999), [0]*99999)",
    "hash_of_aliased_tuple": "hash(tuple([tuple([0]*99999)]*99999))",
    "comprehension_of_big_strings": "len([x*99999 for x in 'a'*99999])",
    "set_of_big_strings": "len(set(str(i)*999 for i in range(99999)))",
    "nested_generator_comparisons":
        "any(x == y for x in [[0]*99999]*999 for y in [[0]*99998+[1]]*999)",
    "aliased_tuples_compared": "tuple([[1]*99999]*99999) < tuple([[1]*99999]*99998+[[2]])",
    "map_str_over_aliased_lists": "len(str(list(map(str, [[0]*9999]*9999))))",
    "sorted_with_expensive_key": "sorted(range(99999), key=lambda i: str([0]*99999))",
}

SCRIPTS = {
    "fstring_doubling_chain": "a = 'x' * 99999\n" + "".join(
        f"{chr(98 + i)} = f'{{{chr(97 + i)}}}{{{chr(97 + i)}}}'\n" for i in range(14)),
    "recursion_via_def": "def f(n):\n    return f(n + 1)\nx = f(0)",
    "aliased_appends_then_str": "a = [[0] * 99999]\nfor i in range(99999):\n"
                                "    a.append(a[0])\nx = len(str(a))",
    "comprehension_of_str_calls": "x = [len(str([0] * 99999)) for i in range(99999)]",
    "stores_an_aliased_monster": "x = [[0] * 99999] * 99999",
    "stores_colliding_hashes": "x = set(i * (2**61 - 1) for i in range(3000))",
    "stores_a_50000_deep_list": "x = []\nfor i in range(50000):\n    x = [x]",
    "stores_a_complex_number": "x = 1j",
}

ALL_CODE = {**{k: f"x = {v}" for k, v in EXPRESSIONS.items()}, **SCRIPTS}

TEMPLATES = {
    "constant_folded_power": "{{ 10**(10**7) > 5 }}",
    "constant_folded_big_string": "{{ 'b'*10**8 }}",
    "constant_folded_filter": "{{ ('a'*99999)|center(99999999) }}",
    "nested_loops": "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}"
                    "{% endfor %}",
    "set_doubling_chain": "{% set a = 'x'*99999 %}" + "".join(
        f"{{% set {chr(98 + i)} = {chr(97 + i)} ~ {chr(97 + i)} %}}" for i in range(15))
        + "{{ p|length }}",
    "integer_too_long_to_write": "{{ 10**(10**4) }}",
}


def test_corpus_has_at_least_twenty_payloads() -> None:
    assert len(ALL_CODE) + len(TEMPLATES) >= 20


@pytest.fixture(scope="module")
def mini_files() -> dict[str, bytes]:
    return read_folder(FIXTURES / "mini")


def _with(files: dict[str, bytes], old: str, new: str) -> dict[str, bytes]:
    text = files["mini.bpmn"].decode()
    assert old in text
    return {**files, "mini.bpmn": text.replace(old, new).encode()}


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _errors_on(problems: list[Any], element_id: str) -> list[str]:
    return [p.message for p in problems if p.severity == "error" and p.element_id == element_id]


@pytest.fixture(autouse=True)
def _warm_host() -> Iterator[None]:
    """Each payload is timed from a warm host: starting one is paid once per process."""
    from engine import sandbox

    sandbox.evaluate("sorted([1])")
    yield


# -- check time ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ALL_CODE.values(), ids=ALL_CODE.keys())
def test_check_stops_a_stalling_script_with_an_error_on_its_element(mini_files, source) -> None:
    files = _with(mini_files, MINI_SCRIPT, escape(source))
    problems, seconds = _timed(lambda: check_files(files, "mini"))
    assert seconds < BOUND
    errors = _errors_on(problems, "st_score")
    assert errors, problems
    assert any("stopped" in e or "refused" in e for e in errors), errors


@pytest.mark.parametrize("source", list(EXPRESSIONS.values())[:4],
                         ids=list(EXPRESSIONS.keys())[:4])
def test_check_stops_a_stalling_timer_expression_with_an_error_on_the_timer(
        mini_files, source) -> None:
    files = _with(mini_files, MINI_TIMER, f">{escape(repr('PT1H'))} if {escape(source)} "
                                          f"else 'PT1H'<")
    problems, seconds = _timed(lambda: check_files(files, "mini"))
    assert seconds < BOUND
    assert any("stopped" in e for e in _errors_on(problems, "timer_sla_def")), problems


@pytest.mark.parametrize("template", TEMPLATES.values(), ids=TEMPLATES.keys())
def test_check_stops_a_stalling_template_with_an_error_on_its_task(mini_files, template) -> None:
    files = _with(mini_files, MINI_INSTRUCTIONS, escape(template))
    problems, seconds = _timed(lambda: check_files(files, "mini"))
    assert seconds < BOUND
    assert _errors_on(problems, "ut_enter"), problems


def test_check_of_a_template_too_long_to_write_out_says_so() -> None:
    message = check_instructions("{{ 10**(10**4) }}", {})
    assert message is not None and "instructions template error" in message


def test_check_tries_no_more_code_once_three_elements_were_stopped(mini_files) -> None:
    stall = escape(EXPRESSIONS["aliased_lists_compared"])
    files = _with(mini_files, MINI_SCRIPT, f"x = {stall}")
    for old in ('outcome_codes + ["NoDisclosure"]', 'outcome_codes + ["Withdrawn"]',
                'outcome_codes + (["Approved"] if approved else ["Refused"])'):
        files = _with(files, old, f"{old}\nx = {stall}")
    problems, seconds = _timed(lambda: check_files(files, "mini"))
    assert seconds < 3 * BOUND + 1
    stopped = [p for p in problems if "was stopped" in p.message]
    skipped = [p for p in problems if "was not tried" in p.message]
    assert len(stopped) == 3 and len(skipped) == 1, problems


# -- run time -----------------------------------------------------------------------------------


def _guarded(source: str) -> str:
    """The payload runs only with case data (``concern``), so the check's sample run passes
    (``score``, which the gateway after it reads, is still set)."""
    return "score = 0\nif concern:\n" + textwrap.indent(source, "    ")


@pytest.mark.parametrize("source", ALL_CODE.values(), ids=ALL_CODE.keys())
def test_a_stalling_script_task_fails_the_step_promptly_and_changes_nothing(
        mini_files, source, start_data) -> None:
    files = _with(mini_files, MINI_SCRIPT, escape(_guarded(source)))
    definition = load_files(files, "mini", lanes=ALL_LANES)
    instance = ProcessInstance.start(definition, start_data)
    saved = instance.dump()
    task = instance.human_tasks()[0]
    started = time.monotonic()
    with pytest.raises(EngineError) as raised:
        instance.complete_task(task.task_id, ENTER, lanes=ALL_LANES)
    assert time.monotonic() - started < BOUND
    assert raised.value.code == "script_error"
    assert "st_score" in raised.value.message
    again = ProcessInstance.load(definition, saved)
    assert [t.bpmn_id for t in again.human_tasks()] == ["ut_enter"]
    assert "x" not in again.data()


RUN_TIME_TEMPLATES = {
    "nested_loops_over_data": ("{% for i in range(n) %}{% for j in range(n) %}{% endfor %}"
                               "{% endfor %}", {"n": 99999}),
    "data_repeated": ("{{ name * 99999 }}", {"name": "Ann Example"}),
    "data_repeated_past_memory": ("{{ name * 99999999 }}", {"name": "Ann Example"}),
    "loop_printing_aliased_data": ("{% for c in items %}{{ items }}{% endfor %}",
                                   {"items": [[0] * 999] * 999}),
}


@pytest.mark.parametrize(("template", "data"), RUN_TIME_TEMPLATES.values(),
                         ids=RUN_TIME_TEMPLATES.keys())
def test_instructions_render_promptly_and_capped(template, data) -> None:
    text, seconds = _timed(lambda: render_instructions(template, data))
    assert seconds < BOUND
    assert len(text) <= MAX_RENDERED


def test_instructions_stored_for_a_task_are_capped(mini_files, start_data) -> None:
    files = _with(mini_files, MINI_INSTRUCTIONS, "{{ applicant.name * 99999 }}")
    instance = ProcessInstance.start(load_files(files, "mini", lanes=ALL_LANES), start_data)
    instructions = instance.human_tasks()[0].instructions
    assert instructions.startswith("Ann ExampleAnn Example")
    assert len(instructions) <= MAX_RENDERED


def test_ordinary_instructions_still_render(mini, start_data) -> None:
    instance = ProcessInstance.start(mini, start_data)
    assert instance.human_tasks()[0].instructions == (
        "Record the details for Ann Example within PT24H.")
