"""Letters and documents a force prints: which template a letter uses (the force's own version,
else the one in the case's scheme version), and a policy lead's changes to the force's version,
each checked against sample words before it is saved (docs/letters.md)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import Definition
from engine.letter_check import letter_words, template_problems
from engine.letter_template import MAX_LETTER_TEMPLATE, LetterProblem, render_html, sample
from engine.scheme import LETTER_STYLESHEET, Letter
from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.errors import ServiceError
from webapp.forces.models import SchemeDeployment
from webapp.permissions import Action, require
from webapp.processes.letter_pdf import html_pdf
from webapp.processes.models import LetterOverride, LetterTemplateChange
from webapp.processes.registry import definition_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForceLetter:
    """One letter of a scheme the force runs, as the studio lists it."""

    scheme: str
    scheme_title: str
    letter: Letter
    overridden: bool


def scheme_template(definition: Definition, letter: Letter) -> str:
    return definition.files.get(letter.template, b"").decode("utf-8", "replace")


def scheme_stylesheet(definition: Definition) -> str:
    """The version's ``letters/style.css``, put into every letter it prints ('' when none)."""
    return definition.files.get(LETTER_STYLESHEET, b"").decode("utf-8", "replace")


def letter_template(force_id: int, scheme: str, definition: Definition, letter: Letter) -> str:
    """The template the force prints ``letter`` with: its own version, else the scheme's."""
    override = LetterOverride.objects.filter(force_id=force_id, scheme=scheme,
                                             letter=letter.key).first()
    return override.template if override is not None else scheme_template(definition, letter)


def force_letters(user: AbstractBaseUser) -> list[ForceLetter]:
    """Every letter of every scheme the policy lead's force runs (its active versions)."""
    membership = require(user, Action.USE_STUDIO)
    overridden = set(LetterOverride.objects.filter(force_id=membership.force_id)
                     .values_list("scheme", "letter"))
    found = []
    for deployment in SchemeDeployment.objects.filter(force_id=membership.force_id) \
            .select_related("active_version").order_by("scheme"):
        scheme = definition_for(deployment.active_version).scheme
        found.extend(ForceLetter(deployment.scheme, scheme.title, letter,
                                 (deployment.scheme, letter.key) in overridden)
                     for letter in scheme.letters)
    return found


def force_letter(user: AbstractBaseUser, scheme: str, key: str) -> tuple[Definition, Letter]:
    """The active version of the force's scheme and its letter ``key`` (404 when none)."""
    membership = require(user, Action.USE_STUDIO)
    deployment = SchemeDeployment.objects.filter(force_id=membership.force_id, scheme=scheme) \
        .select_related("active_version").first()
    definition = definition_for(deployment.active_version) if deployment else None
    letter = definition.scheme.letter(key) if definition else None
    if definition is None or letter is None:
        raise ServiceError("not_found", "Your force runs no such letter.")
    return definition, letter


def sample_pdf(definition: Definition, text: str) -> bytes:
    """The PDF of ``text`` rendered against sample words; a 400 naming the problem (and its
    line) when the template is refused or does not render."""
    if len(text) > MAX_LETTER_TEMPLATE:
        _refuse(f"The template is longer than {MAX_LETTER_TEMPLATE:,} characters.")
    words = letter_words(definition.scheme, definition.forms)
    problems = template_problems(text, words)
    if problems:
        line, message = problems[0]
        _refuse(f"Line {line}: {message}.")
    try:
        return html_pdf(render_html(text, sample(words), scheme_stylesheet(definition)))
    except LetterProblem as exc:
        _refuse(f"Line {exc.line}: {exc.message}.")
    raise AssertionError  # unreachable: _refuse raises


def _refuse(message: str) -> None:
    log.info("letter template refused")
    raise ServiceError("invalid", message, field_errors={"template": [message]})


def letter_override_save(*, user: AbstractBaseUser, scheme: str, key: str,
                         text: str) -> LetterOverride:
    """Save the force's version of a letter, once it renders against sample words."""
    membership = require(user, Action.USE_STUDIO)
    definition, letter = force_letter(user, scheme, key)
    text = text.replace("\r\n", "\n")
    if not text.strip():
        _refuse("Write the letter's template, or use the scheme's version.")
    sample_pdf(definition, text)
    now = timezone.now()
    with transaction.atomic():
        override, _ = LetterOverride.objects.update_or_create(
            force_id=membership.force_id, scheme=scheme, letter=letter.key,
            defaults={"template": text, "updated_by": user, "updated_at": now})
        _changed(user, membership.force_id, scheme, letter.key, text=text, at=now)
    log.info("letter override saved: scheme=%s letter=%s", scheme, letter.key)
    return override


def _changed(user: AbstractBaseUser, force_id: int, scheme: str, key: str, *, text: str,
             at: datetime) -> None:
    """Keep the change and log it (who, when, a digest of the text: the access log holds no
    template, the kept change does)."""
    LetterTemplateChange.objects.create(force_id=force_id, scheme=scheme, letter=key,
                                        template=text, changed_by=user, changed_at=at)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    record(actor=user, operation=Operation.ALTER, object_type="letter template",
           object_id=f"{scheme}/{key}",
           fields=(f"template sha256 {digest}",) if text else (),
           justification=("the force's own version saved" if text
                          else "back to the scheme's version"))


def letter_changes(force_id: int, scheme: str, key: str, limit: int = 20
                   ) -> list[LetterTemplateChange]:
    """The latest changes of the force's version of a letter, newest first."""
    return list(LetterTemplateChange.objects.filter(force_id=force_id, scheme=scheme, letter=key)
                .select_related("changed_by").order_by("-changed_at", "-pk")[:limit])


def letter_override_remove(*, user: AbstractBaseUser, scheme: str, key: str) -> None:
    """Go back to the scheme's own template for this letter."""
    membership = require(user, Action.USE_STUDIO)
    force_letter(user, scheme, key)
    with transaction.atomic():
        removed, _ = LetterOverride.objects.filter(force_id=membership.force_id, scheme=scheme,
                                                   letter=key).delete()
        if removed:
            _changed(user, membership.force_id, scheme, key, text="", at=timezone.now())
    log.info("letter override removed: scheme=%s letter=%s", scheme, key)
