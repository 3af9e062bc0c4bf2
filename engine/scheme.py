"""A scheme's declarations (``scheme.json``): what the product knows about a scheme beyond the
diagram itself — lanes and roles, clocks, parties, s.62 meaning, risk markers, outcomes and the
words people read. See docs/scheme-declarations.md. Read here, checked by ``scheme_check``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.scheme_returns import ReturnRule, build_rules

DECLARATION_FILE = "scheme.json"
S62_OPERATIONS = ("collect", "combine", "disclose")
PARAMETER_TYPES = ("duration", "choice", "steps", "text", "flag")
RETENTION_CLASSES = ("public_protection", "other")
FORM_SUFFIX = ".schema.json"
LETTER_FOLDER = "letters/"
LETTER_SUFFIX = ".html"
# The scheme's letters' shared stylesheet, put into the head of each letter when it is made.
LETTER_STYLESHEET = "letters/style.css"


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    type: str
    default: Any
    options: Mapping[str, str] = field(default_factory=dict)

    def option_label(self, value: Any) -> str:
        return str(self.options.get(str(value), value))


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    activity: str | None
    limit: str
    breach_timer: str | None
    # user tasks whose completion meets the clock even while its activity goes on (the stage
    # then waits for something the clock does not time, such as an immediate-risk review)
    met_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Party:
    key: str
    label: str
    field: str
    many: bool = False
    hidden_from: tuple[str, ...] = ()
    # what else identifies the person for a search: kind (SEARCH_KINDS) -> a field of the person
    search: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskMarker:
    name: str
    label: str
    field: str
    equals: Any

    def is_set(self, data: Mapping[str, Any]) -> bool:
        value: Any = data
        for part in self.field.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        return bool(value == self.equals and type(value) is type(self.equals))


@dataclass(frozen=True)
class Outcome:
    code: str
    label: str
    retention: str = "other"
    counts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Letter:
    """A document the scheme offers on a case (docs/letters.md): its words, its template file
    (``letters/<key>.html``) and when it is offered (at these stages, activity ids, or once the
    case has one of these outcome codes; neither: always)."""

    key: str
    title: str
    template: str
    description: str = ""
    stages: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()

    def offered(self, stage_ids: tuple[str, ...], outcome_codes: list[str] | tuple[str, ...]
                ) -> bool:
        """Whether a case at the activities ``stage_ids`` with ``outcome_codes`` is offered it."""
        if not self.stages and not self.outcomes:
            return True
        return bool(set(self.stages) & set(stage_ids) or set(self.outcomes) & set(outcome_codes))


@dataclass(frozen=True)
class Message:
    key: str
    message: str
    label: str
    event: str
    reason: str


# The kinds of detail a party's ``search`` may name, besides the person's name.
SEARCH_KINDS = ("aliases", "date_of_birth", "postcode", "phone")


def _texts(value: Any) -> list[str]:
    """A detail as a list of texts (aliases are a list; the others one text)."""
    values = value if isinstance(value, list) else [value]
    return [str(v)[:200] for v in values if isinstance(v, (str, int)) and str(v).strip()]


def person_details(person: Any, search: Mapping[str, str]) -> dict[str, list[str]]:
    """The details ``search`` names (kind -> a field of the person) that ``person`` holds."""
    if not isinstance(person, Mapping):
        return {}
    found = {kind: _texts(person.get(name)) for kind, name in search.items()}
    return {kind: texts for kind, texts in found.items() if texts}


def person_name(person: Any) -> str:
    """A person's name from ``{name}`` or name parts, as forms record people."""
    if not isinstance(person, Mapping):
        return ""
    if person.get("name"):
        return str(person["name"])
    parts = [person.get(k) for k in ("first_name", "forename", "given_name", "last_name",
                                       "surname", "family_name")]
    return " ".join(str(p) for p in parts if p)


@dataclass(frozen=True)
class Scheme:
    """The declarations of one process version (empty when the folder has none)."""

    title: str = ""
    short_title: str = ""
    case_noun: str = "case"
    intake: str = ""
    lanes: Mapping[str, str] = field(default_factory=dict)
    default_role: str = ""  # the role that works user tasks drawn outside any lane
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    clocks: tuple[Clock, ...] = ()
    parties: tuple[Party, ...] = ()
    s62: Mapping[str, str] = field(default_factory=dict)  # task id -> operation
    recipients: Mapping[str, str] = field(default_factory=dict)  # disclosing task -> party key
    risk_markers: tuple[RiskMarker, ...] = ()
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    returns: Mapping[str, str] = field(default_factory=dict)  # category -> label
    return_rules: Mapping[str, ReturnRule] = field(default_factory=dict)
    messages: Mapping[str, Message] = field(default_factory=dict)
    shows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # task -> references
    letters: tuple[Letter, ...] = ()
    declared: bool = False

    @classmethod
    def empty(cls) -> Scheme:
        return cls()

    def role_for_lane(self, lane: str | None) -> str:
        """The role working a lane; a task outside any lane has the default role (if any)."""
        return self.lanes.get(lane, "") if lane else self.default_role

    def defaults(self) -> dict[str, Any]:
        """Every parameter with its default: the process's start data and the lint's sample."""
        return {name: p.default for name, p in self.parameters.items()}

    def clock(self, name: str) -> Clock | None:
        return next((c for c in self.clocks if c.name == name), None)

    def party(self, key: str) -> Party | None:
        return next((p for p in self.parties if p.key == key), None)

    def party_names(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        """Party key -> the names the case data holds for it (parties with none left out)."""
        names: dict[str, list[str]] = {}
        for party in self.parties:
            value = data.get(party.field)
            people = value if party.many and isinstance(value, list) else [value]
            found = [n for n in (person_name(p)[:200] for p in people) if n]
            if found:
                names[party.key] = found
        return names

    def party_people(self, data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Party key -> each person the case data holds for it: the name and the details the
        party's ``search`` declares (aliases, date of birth, postcode, phone)."""
        people: dict[str, list[dict[str, Any]]] = {}
        for party in self.parties:
            value = data.get(party.field)
            found = [{"name": person_name(p)[:200], **person_details(p, party.search)}
                     for p in (value if party.many and isinstance(value, list) else [value])]
            found = [p for p in found if p["name"]]
            if found:
                people[party.key] = found
        return people

    def party_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.field for p in self.parties))

    def s62_operation(self, task_id: str) -> str:
        return self.s62.get(task_id, "alter")

    def disclosure_recipient(self, task_id: str) -> str | None:
        return self.recipients.get(task_id)

    def risks(self, data: Mapping[str, Any]) -> list[str]:
        return [m.name for m in self.risk_markers if m.is_set(data)]

    def risk_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.field.split(".")[0] for m in self.risk_markers))

    def risk_label(self, name: str) -> str:
        return next((m.label for m in self.risk_markers if m.name == name), name)

    def outcome_label(self, code: str) -> str:
        outcome = self.outcomes.get(code)
        return outcome.label if outcome else code

    def retention(self, codes: list[str] | tuple[str, ...]) -> str:
        """The case's retention class: public protection if any outcome says so."""
        if any(self.outcomes.get(c, Outcome(c, c)).retention == "public_protection"
               for c in codes):
            return "public_protection"
        return "other"

    def counted_codes(self, category: str) -> tuple[str, ...]:
        """The outcome codes that count for a return category."""
        rule = self.return_rules.get(category)
        return rule.outcomes if rule else ()

    def return_rule(self, category: str) -> ReturnRule | None:
        return self.return_rules.get(category)

    def whole_case_clock(self) -> Clock | None:
        """The clock that times the whole case (its time limit), the first declared."""
        return next((c for c in self.clocks if c.activity is None), None)

    def message(self, key: str) -> Message | None:
        return self.messages.get(key)

    def letter(self, key: str) -> Letter | None:
        return next((letter for letter in self.letters if letter.key == key), None)

    def shown_for(self, task_id: str) -> tuple[tuple[str, str | None], ...]:
        """What a task's page shows from earlier steps: (form file, field or None for the
        whole form), in the declared order."""
        return tuple(show_reference(ref) for ref in self.shows.get(task_id, ()))


def show_reference(reference: str) -> tuple[str, str | None]:
    """A ``shows`` reference, ``form`` or ``form.field``, as (form file, field or None)."""
    form, _, name = reference.partition(".")
    return form + FORM_SUFFIX, name or None


def read_declaration(data: bytes) -> Any:
    """The parsed JSON document (ValueError when it is not JSON)."""
    return json.loads(data)


def build(doc: Mapping[str, Any]) -> Scheme:
    """A Scheme from a declaration already checked against ``scheme_check.FORMAT``."""
    s62: dict[str, str] = {}
    recipients: dict[str, str] = {}
    for operation in S62_OPERATIONS:
        for entry in doc.get("s62", {}).get(operation, []):
            task = entry["task"] if isinstance(entry, Mapping) else entry
            s62[task] = operation
            if isinstance(entry, Mapping) and entry.get("recipient"):
                recipients[task] = entry["recipient"]
    messages = {key: Message(key, m["message"], m.get("label", key), m.get("event", key),
                             m.get("reason", "Reason"))
                for key, m in doc.get("messages", {}).items()}
    outcomes = {code: Outcome(code, o.get("label", code), o.get("retention", "other"),
                              tuple(o.get("counts", [])))
                for code, o in doc.get("outcomes", {}).items()}
    rules = build_rules(doc.get("returns", {}), {c: o.counts for c, o in outcomes.items()})
    return Scheme(
        title=doc.get("title", ""), short_title=doc.get("short_title", doc.get("title", "")),
        case_noun=doc.get("case_noun", "case"), intake=doc.get("intake", ""),
        lanes=dict(doc.get("lanes", {})), default_role=doc.get("default_role", ""),
        parameters={name: Parameter(name, p.get("label", name), p["type"], p.get("default"),
                                    dict(p.get("options", {})))
                    for name, p in doc.get("parameters", {}).items()},
        clocks=tuple(Clock(c["name"], c.get("label", c["name"]), c.get("activity"), c["limit"],
                           c.get("breach_timer"), tuple(c.get("met_by", [])))
                     for c in doc.get("clocks", [])),
        parties=tuple(Party(p["key"], p.get("label", p["key"]), p["field"],
                            bool(p.get("many")), tuple(p.get("hidden_from", [])),
                            dict(p.get("search", {})))
                      for p in doc.get("parties", [])),
        s62=s62, recipients=recipients,
        risk_markers=tuple(RiskMarker(m["name"], m.get("label", m["name"]), m["field"],
                                      m["equals"]) for m in doc.get("risk_markers", [])),
        outcomes=outcomes, returns={key: rule.label for key, rule in rules.items()},
        return_rules=rules, messages=messages,
        shows={task: tuple(refs) for task, refs in doc.get("shows", {}).items()},
        letters=tuple(Letter(d["key"], d.get("title", d["key"]),
                             d.get("template", f"{LETTER_FOLDER}{d['key']}{LETTER_SUFFIX}"),
                             d.get("description", ""), tuple(d.get("stages", [])),
                             tuple(d.get("outcomes", [])))
                      for d in doc.get("letters", [])),
        declared=True,
    )
