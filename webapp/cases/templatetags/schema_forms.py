"""Template helpers for generated task forms: the GOV.UK-style error summary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from django import template

from webapp.cases.schema_forms import Field, errors_by_name, field_for_error

register = template.Library()


@dataclass(frozen=True, slots=True)
class ErrorLink:
    """One line of the summary; ``href`` is None for errors that belong to no field."""

    href: str | None
    text: str


def _items(fields: Sequence[Field], trail: tuple[str, ...] = ()) -> Iterator[
        tuple[Field, tuple[str, ...]]]:
    """Every field with the labels of the repeating-group items it sits in ("Child 2")."""
    for field in fields:
        yield field, trail
        yield from _items(field.children, (*trail, field.label) if field.is_item else trail)
        for choice in field.choices:
            yield from _items(choice.conditional, trail)


def error_summary(fields: Sequence[Field],
                  errors: Mapping[str, Sequence[str] | str] | None) -> list[ErrorLink]:
    """Lines for ``fields`` as render_fields left them, general errors first.

    The messages name their field ("Enter the applicant's first name"); inside a repeating
    group the line says which item ("Child 2: Enter the child's first name").
    """
    links = [ErrorLink(None, message)
             for name, messages in errors_by_name(errors or {}).items()
             if field_for_error(fields, name) is None for message in messages]
    for field, trail in _items(fields):
        own = (field.label,) if field.is_item else ()
        where = "".join(f"{label}: " for label in (*trail, *own))
        links.extend(ErrorLink(f"#{field.id}", f"{where}{m}") for m in field.errors)
    return links


@register.simple_tag
def form_error_links(fields: Sequence[Field] | None,
                     errors: Mapping[str, Sequence[str]] | None) -> list[ErrorLink]:
    """Lets a page include the summary with the context it already has (fields, errors)."""
    return error_summary(fields or [], errors or {})
