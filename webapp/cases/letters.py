"""A case's letters and documents (docs/letters.md): which its scheme offers at its stage, the
words they are rendered with (labels and names, never codes or field ids, and nothing of a party
hidden from the reader), and the download: need-to-know checked, logged as a consultation."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from engine.letter_check import stage_ids
from engine.letter_template import LetterProblem, render_html
from engine.scheme import FORM_SUFFIX, Letter
from webapp.cases.access import consult, may_act
from webapp.cases.case_words import display_name, outcome_labels, risk_labels
from webapp.cases.labelled import task_form_file, value_text
from webapp.cases.models import Case, CaseEvent, EventKind
from webapp.cases.parties import hidden_fields, hidden_from
from webapp.cases.schema_forms import resolve
from webapp.errors import ServiceError
from webapp.processes.letter_overrides import letter_template, scheme_stylesheet
from webapp.processes.letter_pdf import html_pdf
from webapp.processes.registry import definition_for_id


@dataclass(frozen=True)
class LetterFile:
    """A made letter: the PDF's bytes and the file name it is downloaded as."""

    content: bytes
    filename: str


def offered_letters(case: Case) -> list[Letter]:
    """The letters the case's scheme version offers at its stage or for its outcomes."""
    definition = definition_for_id(case.version_id)
    at = stage_ids(definition, case.stage)
    return [letter for letter in definition.scheme.letters
            if letter.offered(at, case.outcome_codes)]


def _words(node: Any, value: Any, root: Mapping[str, Any]) -> Any:
    """Recorded answers as words: groups stay groups, lists of groups stay lists, every other
    value is its label (a choice's title, Yes/No, a UK date)."""
    node = resolve(node, root) if isinstance(node, Mapping) else {}
    if isinstance(value, Mapping):
        props = node.get("properties") if isinstance(node.get("properties"), Mapping) else {}
        return {k: _words(props.get(k, {}), v, root) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return [_words(node.get("items", {}), v, root) for v in value]
    if value is None or value == "":
        return ""
    return value_text(node, value)


def _latest_answers(case: Case) -> dict[str, Mapping[str, Any]]:
    """Form file -> the latest answers recorded with it, by whichever task."""
    definition = definition_for_id(case.version_id)
    latest: dict[str, Mapping[str, Any]] = {}
    kinds = (EventKind.COMPLETED, EventKind.STARTED)  # the intake's answers are the start's
    for bpmn_id, data in (CaseEvent.objects.filter(case=case, kind__in=kinds,
                                                   data__isnull=False)
                          .order_by("-at", "-pk").values_list("bpmn_id", "data")):
        form_file = task_form_file(definition, bpmn_id)
        if form_file and form_file not in latest and isinstance(data, Mapping):
            latest[form_file] = data
    return latest


def letter_context(case: Case, user: AbstractBaseUser, roles: Collection[str]) -> dict[str, Any]:
    """The words a letter of the case is rendered with, as ``engine.letter_check.letter_words``
    names them."""
    definition = definition_for_id(case.version_id)
    scheme = definition.scheme
    hidden = hidden_fields(scheme, roles)
    outcomes = outcome_labels(case)
    context: dict[str, Any] = {
        "case": {"reference": case.reference, "scheme": scheme.title,
                 "scheme_short": scheme.short_title, "force": case.force.name,
                 "stage": case.stage, "outcomes": outcomes, "outcome": ", ".join(outcomes),
                 "opened_on": timezone.localtime(case.opened_at).strftime("%-d %B %Y"),
                 "risks": risk_labels(case)},
        "today": timezone.localdate().strftime("%-d %B %Y"),
        "officer": display_name(user),
    }
    for form_file, data in _latest_answers(case).items():
        schema = definition.form_for(form_file) or {}
        shown = {k: v for k, v in data.items() if k not in hidden}
        context[form_file.removesuffix(FORM_SUFFIX)] = _words(schema, shown, schema)
    for party in scheme.parties:
        names = [] if hidden_from(scheme, party.key, roles) else case.parties.get(party.key, [])
        context[party.key] = list(names) if party.many else ", ".join(names)
    return context


def letter_download(*, user: AbstractBaseUser, case: Case, key: str) -> LetterFile:
    """A letter of the case as a PDF, after the need-to-know check, logged as a consultation.
    A letter the case is not offered is a 404; a template that fails on the case's words, a 409
    naming the problem (the policy lead fixes the force's template)."""
    why = may_act(user, case)  # need-to-know first: which letters a case offers tells its stage
    letter = next((x for x in offered_letters(case) if x.key == key), None)
    if letter is None:
        raise ServiceError("not_found", "This case has no such letter or document at its stage.")
    consult(user, case, what="letter", fields=(f"letter: {letter.title}",), why=why)
    membership = getattr(user, "membership", None)
    roles = membership.roles if membership is not None else ()
    definition = definition_for_id(case.version_id)
    source = letter_template(case.force_id, case.scheme, definition, letter)
    try:
        pdf = html_pdf(render_html(source, letter_context(case, user, roles),
                                   scheme_stylesheet(definition)))
    except LetterProblem as exc:
        raise ServiceError("conflict", f"The {letter.title.lower()} could not be made: "
                                       f"{exc.message}. Ask your policy lead to check the "
                                       "template.") from None
    return LetterFile(pdf, f"{case.reference}-{letter.key.replace('_', '-')}.pdf")
