"""The API's JSON parser: a body nested deeper than any form is a 400, never a RecursionError."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No form is nested anywhere near this deep; every layer behind the parser (schema validation,
# the engine's data checks, the state codec) may then walk the data recursively in safety.
MAX_DEPTH = 64
NOT_JSON = ("The request body is not JSON that can be read: it must be UTF-8, and numbers may "
            "have at most 4,300 digits.")
TOO_DEEP = f"The JSON is nested too deeply (at most {MAX_DEPTH} levels of objects and arrays)."


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests (walked without recursion; stops counting past ``limit``)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested more than MAX_DEPTH deep."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is not None and limit is not None:
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise ParseError(f"The request body is larger than {limit:,} bytes.")
            stream = io.BytesIO(body)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # the C decoder gives up near the interpreter's limit
            raise ParseError(TOO_DEEP) from exc
        except ParseError as exc:
            # DRF quotes the ValueError; beyond JSON syntax errors that is interpreter advice
            # ("use sys.set_int_max_str_digits()") or a codec's message.
            if isinstance(exc.__context__, json.JSONDecodeError):
                raise
            raise ParseError(NOT_JSON) from exc
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(TOO_DEEP)
        return data
