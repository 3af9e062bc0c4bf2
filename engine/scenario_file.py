"""Scenario files (``scenarios/<name>.json``): a policy lead's test of a scheme, kept with the
version. Read and checked here, each problem with its file and line; run by ``scenarios``.

A scenario gives the answers for each user task (by BPMN id: one form's data, or a list used one
per time the task is offered), optional events between steps (a message sent or a timer fired
after a task), and what is expected: the path of tasks, the outcome codes, and either the end of
the case or the tasks it waits at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from lxml import etree

from engine.json_lines import JsonLines
from engine.lint import BPMN, NS, Problem
from engine.scheme import Scheme

FOLDER = "scenarios/"
SUFFIX = ".json"
MAX_BYTES = 500_000
_ID = {"type": "string", "minLength": 1, "maxLength": 200}
_ANSWER = {"type": "object", "maxProperties": 500}
FORMAT: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["format", "title", "answers", "expect"],
    "properties": {
        "format": {"const": 1},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "parameters": {"type": "object", "maxProperties": 100},
        "answers": {"type": "object", "maxProperties": 500, "additionalProperties": {
            "oneOf": [_ANSWER, {"type": "array", "minItems": 1, "maxItems": 20,
                                "items": _ANSWER}]}},
        "events": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "additionalProperties": False, "required": ["after"],
            "oneOf": [{"required": ["message"]}, {"required": ["timer"]}],
            "properties": {"after": _ID, "message": _ID, "timer": _ID,
                           "payload": {"type": "object"}}}},
        "expect": {"type": "object", "additionalProperties": False, "required": ["outcomes"],
                   "properties": {
                       "path": {"type": "array", "maxItems": 200, "items": _ID},
                       "in_order": {"type": "boolean"},
                       "outcomes": {"type": "array", "maxItems": 50, "items": _ID},
                       "waiting_at": {"type": "array", "maxItems": 50, "items": _ID}}},
    },
}


@dataclass(frozen=True)
class Event:
    """Something that happens after a task is first completed: a message or a timer firing."""

    after: str
    message: str | None = None
    timer: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """One scenario as read from its file (already checked)."""

    file: str
    title: str
    answers: Mapping[str, tuple[Mapping[str, Any], ...]]
    repeat: frozenset[str]  # tasks given one answer for every time they are offered
    parameters: Mapping[str, Any]
    events: tuple[Event, ...]
    path: tuple[str, ...] | None
    in_order: bool
    outcomes: tuple[str, ...]
    waiting_at: tuple[str, ...] | None


def scenario_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {n: b for n, b in sorted(files.items())
            if n.startswith(FOLDER) and n.endswith(SUFFIX)}


def is_scenario_name(name: str) -> bool:
    short = name.removeprefix(FOLDER)
    return (name.startswith(FOLDER) and name.endswith(SUFFIX) and "/" not in short
            and not short.startswith(".") and len(short) > len(SUFFIX))


def build(file: str, doc: Mapping[str, Any]) -> Scenario:
    """A Scenario from a document already checked against ``FORMAT``."""
    answers = {task: tuple(a) if isinstance(a, list) else (a,)
               for task, a in doc["answers"].items()}
    expect = doc["expect"]
    return Scenario(
        file=file, title=doc["title"], answers=answers,
        repeat=frozenset(t for t, a in doc["answers"].items() if not isinstance(a, list)),
        parameters=dict(doc.get("parameters", {})),
        events=tuple(Event(e["after"], e.get("message"), e.get("timer"), e.get("payload", {}))
                     for e in doc.get("events", [])),
        path=tuple(expect["path"]) if "path" in expect else None,
        in_order=expect.get("in_order", True), outcomes=tuple(expect["outcomes"]),
        waiting_at=tuple(expect["waiting_at"]) if "waiting_at" in expect else None)


def read(file: str, data: bytes) -> tuple[Scenario | None, list[Problem], JsonLines | None]:
    """The scenario in ``data`` and the problems of its format (not yet of its references)."""
    if len(data) > MAX_BYTES:
        return None, [Problem(file, 1, None, f"the scenario is larger than {MAX_BYTES} bytes")], \
            None
    try:
        text = data.decode()
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return None, [Problem(file, getattr(exc, "lineno", None) or 1, None,
                              f"the scenario is not valid JSON: {exc}")], None
    lines = JsonLines(text)
    problems = []
    for error in sorted(Draft202012Validator(FORMAT).iter_errors(doc), key=lambda e: e.path):
        where = "/".join(map(str, error.path)) or "the top level"
        problems.append(Problem(file, lines.line(tuple(error.path)), None,
                                f"{where}: {error.message[:200]}"))
    if problems:
        return None, problems, lines
    return build(file, doc), [], lines


def read_all(files: Mapping[str, bytes]) -> list[Scenario]:
    """Every well-formed scenario of a definition's files, in file-name order."""
    return [s for name, data in scenario_files(files).items()
            if (s := read(name, data)[0]) is not None]


@dataclass(frozen=True)
class _Diagram:
    tasks: Mapping[str, str]  # user task id -> name
    messages: frozenset[str]
    timers: frozenset[str]

    def task(self, ref: str) -> bool:
        return ref in self.tasks or ref in self.tasks.values()


def _diagram(roots: Mapping[str, etree._Element]) -> _Diagram:
    tasks: dict[str, str] = {}
    messages: set[str] = set()
    timers: set[str] = set()
    for root in roots.values():
        if etree.QName(root).namespace != BPMN:
            continue
        for task in root.iterfind(".//bpmn:userTask", NS):
            tasks[task.get("id") or ""] = task.get("name") or task.get("id") or ""
        messages.update(m.get("name") or "" for m in root.iterfind(".//bpmn:message", NS))
        for timer in root.iterfind(".//bpmn:timerEventDefinition", NS):
            parent = timer.getparent()
            if parent is not None and parent.get("id"):
                timers.add(parent.get("id") or "")
    return _Diagram(tasks, frozenset(messages), frozenset(timers))


def check_scenarios(files: Mapping[str, bytes], roots: Mapping[str, etree._Element],
                    scheme: Scheme) -> list[Problem]:
    """Every problem in the definition's scenario files, each with its file and line."""
    found = scenario_files(files)
    if not found:
        return []
    diagram = _diagram(roots)
    problems: list[Problem] = []
    # Without a diagram that parsed, every reference would look wrong: check the format only.
    references = bool(diagram.tasks)
    for name in (n for n in files if n.startswith(FOLDER) and not is_scenario_name(n)):
        problems.append(Problem(name, 1, None, "a scenario file is named "
                                               "scenarios/<name>.json"))
    for name, data in found.items():
        scenario, format_problems, lines = read(name, data)
        problems.extend(format_problems)
        if scenario is not None and lines is not None and references:
            problems.extend(_references(scenario, lines, diagram, scheme))
    return problems


def _references(scenario: Scenario, lines: JsonLines, diagram: _Diagram,
                scheme: Scheme) -> list[Problem]:
    found = [*_task_references(scenario, diagram), *_event_references(scenario, diagram),
             *_declared_references(scenario, scheme)]
    # Warnings: a diagram edit that leaves a scenario behind must not stop the definition from
    # loading; the scenario then fails when run, which blocks publishing in its own words.
    return [Problem(scenario.file, lines.line(path), None, message, "warning")
            for path, message in found]


Found = list[tuple[tuple[str | int, ...], str]]


def _task_references(scenario: Scenario, diagram: _Diagram) -> Found:
    found: Found = [(("answers", task), f"answers: '{task}' is not a user task in the diagram")
                    for task in scenario.answers if task not in diagram.tasks]
    for key in ("path", "waiting_at"):
        found += [(("expect", key, index),
                   f"expect/{key}: '{ref}' is not the id or name of a user task")
                  for index, ref in enumerate(getattr(scenario, key) or ())
                  if not diagram.task(ref)]
    return found


def _event_references(scenario: Scenario, diagram: _Diagram) -> Found:
    found: Found = []
    for index, event in enumerate(scenario.events):
        if event.after not in diagram.tasks:
            found.append((("events", index, "after"),
                          f"events: '{event.after}' is not a user task in the diagram"))
        if event.message is not None and event.message not in diagram.messages:
            found.append((("events", index, "message"),
                          f"events: '{event.message}' is not a message in the diagram"))
        if event.timer is not None and event.timer not in diagram.timers:
            found.append((("events", index, "timer"),
                          f"events: '{event.timer}' is not a timer event in the diagram"))
    return found


def _declared_references(scenario: Scenario, scheme: Scheme) -> Found:
    found: Found = []
    if scheme.outcomes:
        found += [(("expect", "outcomes", index),
                   f"expect/outcomes: '{code}' is not an outcome declared in scheme.json")
                  for index, code in enumerate(scenario.outcomes)
                  if code not in scheme.outcomes]
    if scheme.declared:
        found += [(("parameters", name),
                   f"parameters: '{name}' is not a parameter declared in scheme.json")
                  for name in scenario.parameters if name not in scheme.parameters]
    return found
