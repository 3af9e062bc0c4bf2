"""``{% options choices chosen %}``: a select's ``<option>`` elements in one pass.

The worklists' and the case list's filters offer some forty options; as a template loop each
was a dozen lookups and an ``{% if %}`` (docs/benchmarks.md, "Lists near the floor (session
9)"). ``choices``: a mapping (value -> words), pairs (value, words) or plain values (shown as
they are). Values and words are escaped with ``html.escape``, as the template's ``{{ }}`` did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _pairs(choices: Mapping[Any, Any] | Iterable[Any]) -> Iterable[tuple[Any, Any]]:
    if isinstance(choices, Mapping):
        return choices.items()
    return ((c, c) if isinstance(c, str) else (c[0], c[1]) for c in choices)


@register.simple_tag
def options(choices: Mapping[Any, Any] | Iterable[Any], chosen: Any) -> SafeString:
    """The options, the one whose value equals ``chosen`` selected."""
    return mark_safe("".join(  # noqa: S308 - every value and label escaped here
        f'<option value="{escape(str(value))}"{" selected" if value == chosen else ""}>'
        f"{escape(str(words))}</option>" for value, words in _pairs(choices)))
