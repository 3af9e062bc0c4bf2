"""Template helper for generated task forms: the error summary from the fields and the errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django import template

from webapp.cases.schema_forms import ErrorLink, Field, error_summary

register = template.Library()


@register.simple_tag
def form_error_links(fields: Sequence[Field] | None,
                     errors: Mapping[str, Sequence[str]] | None) -> list[ErrorLink]:
    """Lets a page include the summary with the context it already has (fields, errors)."""
    return error_summary(fields or [], errors or {})
