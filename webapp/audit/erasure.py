"""Which rows hold a case's personal data, and what erasing the case leaves of them.

Every model that points at a case (directly, or through another such model) is listed here:
either with the fields erasure blanks, or with the reason it holds none of the parties' data.
A test walks the models related to ``Case`` and fails on one that is missing, so a new model
cannot keep copies of names, dates of birth or addresses past an erasure unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.db.models.functions import Now


@dataclass(frozen=True)
class Erased:
    """A model holding case data: ``fields`` are set to these values; ``via`` is the lookup from
    the model to the case (``case`` for a direct foreign key)."""

    fields: Mapping[str, Any]
    via: str = "case"


ERASED: dict[str, Erased] = {
    "cases.Case": Erased({"state": b"", "marks": None, "parties": {}, "people": {}}, via="pk"),
    "cases.CaseParty": Erased({"search": "", "phonetic": "", "person": ""}),  # for search
    "cases.CaseEvent": Erased({"data": None, "detail": ""}),  # form data, reasons
    "cases.HumanTask": Erased({"draft": None, "instructions": ""}),  # rendered with case data
    "cases.Incident": Erased({"message": "erased"}),  # error text may quote case data
    "clocks.ClockEvent": Erased({"reason": ""}),  # pause and extension reasons
    "clocks.ExtensionRequest": Erased({"reason": ""}),
    "cases.CaseNote": Erased({"text": ""}),  # officers' notes on the case
    # the bytes are deleted from storage by webapp.cases.evidence.attachments_erase
    "cases.Attachment": Erased({"stored_name": "", "original_name": "", "description": "",
                                "sha256": ""}),
    "api.IdempotentRequest": Erased({"body": None, "erased_at": Now()}),  # stored responses
}

# Related to a case, but holding nothing of the parties: why, model by model.
NO_PERSONAL_DATA: dict[str, str] = {
    "cases.CaseTimer": "element names and due times from the diagram",
    "clocks.CaseClock": "limits, due times and extension durations",
    "clocks.ClockAlert": "which clock warned or breached, and who acknowledged it",
    "audit.BreakGlass": "an officer's reason for opening the case: the accountability record "
                        "an auditor reviews, kept like the access log",
    "audit.RetentionRequest": "the auditors' retention decision: the record of the erasure",
}


# Personal data held before a case exists (not walked from ``Case``): how each goes.
BEFORE_A_CASE: dict[str, str] = {
    "cases.EnquiryDraft": "deleted when its case is recorded, purged after "
                          "webapp.cases.drafts.DRAFT_DAYS (beat job cases.purge_drafts), and "
                          "deleted with its author's account",
}


# Personal data counted across a force's cases, not tied to one (not walked from ``Case``): how
# an erased case's share goes.
ACROSS_CASES: dict[str, str] = {
    "cases.NameWord": "the words of the force's party names, each with the number of cases "
                      "holding it: erasure takes the case's words out first "
                      "(webapp.cases.name_words.words_release), deleting a word no other case "
                      "holds",
}


def erase_case_rows(case: Model) -> list[str]:
    """Blank every registered copy of the case's personal data; return the models touched.

    Runs inside the caller's transaction, with the case row locked.
    """
    touched = []
    for label, rule in ERASED.items():
        model = apps.get_model(label)
        model._default_manager.filter(**{rule.via: case.pk}).update(**rule.fields)
        touched.append(label)
    return touched
