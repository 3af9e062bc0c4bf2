"""Template helpers for generated task forms: the GOV.UK-style error summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django import template

from webapp.cases.schema_forms import Field, errors_by_name, field_for_error, walk_fields

register = template.Library()


@dataclass(frozen=True, slots=True)
class ErrorLink:
    """One line of the summary; ``href`` is None for errors that belong to no field."""

    href: str | None
    text: str


def error_summary(fields: Sequence[Field],
                  errors: Mapping[str, Sequence[str] | str] | None) -> list[ErrorLink]:
    """Lines for ``fields`` as render_fields left them, general errors first.

    Each line names the field with its group ("Child 2 – Name: ..."), because the engine's
    messages are generic ("This field is required.") and the summary stands apart from the form.
    """
    links = [ErrorLink(None, message)
             for name, messages in errors_by_name(errors or {}).items()
             if field_for_error(fields, name) is None for message in messages]
    for field, trail in walk_fields(fields):
        where = " – ".join((*trail, field.label))
        links.extend(ErrorLink(f"#{field.id}", f"{where}: {m}") for m in field.errors)
    return links


@register.simple_tag
def form_error_links(fields: Sequence[Field] | None,
                     errors: Mapping[str, Sequence[str]] | None) -> list[ErrorLink]:
    """Lets a page include the summary with the context it already has (fields, errors)."""
    return error_summary(fields or [], errors or {})
