"""A recorded reason must be words a reviewer can weigh, not a token that fills the box.

"aaaaaaaaaa" or "asdf asdf" passed a length check; a reason now needs a few different words
made of letters (two or more, not one letter repeated).
"""

from __future__ import annotations

import re

from webapp.errors import ServiceError

MIN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters, in any alphabet


def distinct_words(text: str) -> set[str]:
    """The different words of two or more letters that are not one letter repeated."""
    return {word.lower() for word in _WORD.findall(text)
            if len(word) > 1 and len(set(word.lower())) > 1}


def require_words(text: str, *, field: str, message: str) -> str:
    """The reason, stripped, or an ``invalid`` refusal with ``message`` on ``field``."""
    reason = text.strip()
    if len(distinct_words(reason)) < MIN_WORDS:
        raise ServiceError("invalid", message, field_errors={field: [message]})
    return reason
