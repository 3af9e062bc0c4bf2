"""Task instructions as people read them.

The diagram's instructions are templates rendered against case data, so a missing value leaves
a blank ("Applicant: . Subject: .") and a stored value is a code ("child_sexual_offence",
"P45D"). ``readable_instructions`` takes the rendered text and gives words: choice codes by the
labels the case's forms give them, durations in words, and the parts left empty dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from engine import Definition
from webapp.cases.schema_forms import _options
from webapp.clocks.durations import durations_in_words

# "Label: ." or "Label: ," with nothing recorded after the colon (at the start of a sentence).
_EMPTY_PART = re.compile(r"(?:(?<=^)|(?<=[.!?:]\s)|(?<=\n))[A-Z][\w()'/ -]{0,40}:\s*[.,;](?:\s+|$)",
                         re.M)
_EMPTY_BRACKETS = re.compile(r"\s*\(\s*\)")
_SPACE_BEFORE_STOP = re.compile(r"[ \t]+([.,;:)])")
_SPACES = re.compile(r"[ \t]{2,}")
_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b")


def _nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


@lru_cache(maxsize=64)
def choice_labels(definition: Definition) -> dict[str, str]:
    """Every choice code of the definition's forms -> its label (codes that read as words, such
    as ``female``, are left as they are)."""
    labels: dict[str, str] = {}
    for schema in definition.forms.values():
        for node in _nodes(schema):
            for const, label in _options(node):
                if isinstance(const, str) and _CODE.fullmatch(const):
                    labels.setdefault(const, label)
    return labels


def readable_instructions(text: str, definition: Definition | None) -> str:
    """Rendered instructions with codes in words and no empty "Label: ." parts."""
    if not text:
        return ""
    labels = choice_labels(definition) if definition is not None else {}
    text = _CODE.sub(lambda m: labels.get(m.group(0), m.group(0)), text)
    text = durations_in_words(text)
    text = _EMPTY_BRACKETS.sub("", text)
    previous = None
    while previous != text:
        previous, text = text, _EMPTY_PART.sub("", text)
    text = _SPACE_BEFORE_STOP.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()
