"""Instructions for end users: Jinja templates in the diagram, rendered in a sandbox.

SpiffArena renders ``instructionsForEndUser`` with Jinja; so do we, with Jinja's sandboxed
environment (no attribute walks to internals) and missing variables rendering as empty text.
The result is plain text: the web layer escapes it like any other user-supplied string.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment(autoescape=False, undefined=ChainableUndefined)


@lru_cache(maxsize=1024)
def compile_instructions(source: str) -> Template:
    """Compile a template; raises jinja2.TemplateSyntaxError with a line number."""
    return _ENV.from_string(source)


# Small: it serves the repeated asks of one step or page, and holds names from case data.
_rendered: dict[tuple[str, str], str] = {}
_rendered_lock = threading.Lock()
_RENDERED_MAX = 256


@lru_cache(maxsize=1024)
def _names(source: str) -> frozenset[str]:
    """The variables a template reads (rendering passes only those, not the whole case)."""
    return frozenset(meta.find_undeclared_variables(_ENV.parse(source)))


def render_instructions(source: str | None, data: Mapping[str, Any]) -> str:
    """Render instructions against task data; a failing template shows its raw text."""
    if not source:
        return ""
    try:
        values = {k: data[k] for k in _names(source) if k in data}
        # The same task's instructions are asked for on every status: remember the text for
        # the values it was rendered from (repr tells types apart, unlike JSON).
        key = (source, repr(values))
        with _rendered_lock:
            text = _rendered.get(key)
        if text is None:
            text = compile_instructions(source).render(values).strip()
            with _rendered_lock:
                if len(_rendered) >= _RENDERED_MAX:
                    _rendered.pop(next(iter(_rendered)))
                _rendered[key] = text
        return text
    except Exception:  # noqa: BLE001 - a broken template must not block the task
        return source.strip()
