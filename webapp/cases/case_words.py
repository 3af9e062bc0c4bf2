"""The words of a case's own scheme version on its pages and rows: party labels and names (masked
by role), outcome labels, risk markers, the withdraw action and the timeline's event titles."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from webapp.cases.labelled import headline, labelled_rows, task_form
from webapp.cases.models import Case, CaseEvent, EventKind
from webapp.cases.parties import hidden_fields, shown_parties
from webapp.clocks.durations import durations_in_words
from webapp.forces.models import Role
from webapp.processes.registry import definition_for_id, scheme_for


def display_name(user: Any) -> str:
    """An officer as pages name them: the full name, else the username, with the collar number
    where the force recorded one ("Priya Shah (4471)"); "" for no one."""
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    membership = getattr(user, "membership", None)
    collar = getattr(membership, "collar_number", "") if membership is not None else ""
    return officer_name(full, str(user.get_username()), collar)


def officer_name(full_name: str, username: str, collar_number: str | None) -> str:
    """``display_name`` from the columns it reads (a list that reads them with its rows)."""
    name = full_name.strip() or username
    return f"{name} ({collar_number})" if collar_number else name


def role_name(role: str) -> str:
    """A role id by its name (the policy lead's id -> "Policy lead"); an unknown id as words."""
    try:
        return str(Role(role).label)
    except ValueError:
        return role.replace("_", " ").capitalize()


def outcome_labels(case: Case) -> list[str]:
    scheme = scheme_for(case.version_id)
    return [scheme.outcome_label(code) for code in case.outcome_codes]


def risk_labels(case: Case) -> list[str]:
    scheme = scheme_for(case.version_id)
    return [scheme.risk_label(name) for name in case.risks]


def event_title(event: CaseEvent, case_noun: str) -> str:
    """What the timeline calls the event ("Enquiry recorded", the message's words...)."""
    if event.kind == EventKind.STARTED:
        return f"{case_noun.capitalize()} recorded"
    if event.kind == EventKind.WITHDRAWN and event.task_name:
        return event.task_name
    return str(event.get_kind_display())


def timeline(case: Case, events: Iterable[CaseEvent], roles: Collection[str]) -> list[CaseEvent]:
    """The events with ``title``; completed forms get ``rows`` labelled by their form, leaving
    out the fields of parties the scheme hides from ``roles``."""
    definition = definition_for_id(case.version_id)
    scheme = definition.scheme
    hidden = hidden_fields(scheme, roles)
    shown = []
    for event in events:
        event.title = event_title(event, scheme.case_noun)
        event.shows_task = event.kind != EventKind.WITHDRAWN
        event.detail = durations_in_words(event.detail)
        event.note_text = event.outcome = ""  # read by the timeline (a note sets note_text)
        if event.data:
            data = {k: v for k, v in event.data.items() if k not in hidden}
            form = task_form(definition, event.bpmn_id)
            event.rows = labelled_rows(form, data)
            event.outcome = headline(form, data)
        shown.append(event)
    return shown


def case_words(case: Case, roles: Collection[str]) -> dict[str, Any]:
    """The case page's and task page's words from the case's scheme version."""
    scheme = scheme_for(case.version_id)
    return {
        "scheme": scheme, "parties": shown_parties(scheme, case.parties, roles),
        "outcomes": outcome_labels(case), "risks": risk_labels(case),
        "withdraw": scheme.message("withdraw"),
    }


PATH_SAFE = RFC3986_SUBDELIMS + "~:@"  # as reverse() leaves them (a reference has no "/")


def case_href() -> Callable[[str], str]:
    """The case page's address of a reference from one ``reverse()`` (a page listing many
    cases: ``{% url %}`` for each was a tenth of its rendering)."""
    head, tail = reverse("cases:case", args=["0"]).rsplit("0", 1)
    return lambda reference: f"{head}{quote(reference, safe=PATH_SAFE)}{tail}"


def labelled_alerts(alerts: Iterable[Any]) -> list[Any]:
    """Clock and risk alerts; a risk alert gets ``risk_label``, its marker's words."""
    shown = []
    for alert in alerts:
        if alert.kind == "risk":
            alert.risk_label = scheme_for(alert.case.version_id).risk_label(alert.clock)
        shown.append(alert)
    return shown
