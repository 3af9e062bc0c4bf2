"""Instructions for end users: Jinja templates in the diagram, rendered in a sandbox.

SpiffArena renders ``instructionsForEndUser`` with Jinja; so do we, with Jinja's sandboxed
environment (no attribute walks to internals) and missing variables rendering as empty text.
The result is plain text, at most ``MAX_RENDERED`` characters: the web layer escapes it like any
other user-supplied string.

Jinja folds constant expressions while compiling (``{{ 10**(10**7) > 5 }}`` computes the power
then), and loops can multiply work, so only templates the cost model proves cheap
(``sandbox_cost.template_is_bounded``) are compiled and rendered here; the others are compiled
and rendered in the sandbox host, under its time and memory limits. Parsing compiles nothing and
is safe in-process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from engine.sandbox_cost import template_is_bounded
from engine.sandbox_guards import SandboxStopped, SandboxViolation
from engine.sandbox_host import run_in_host
from engine.template_env import (
    ENV,
    MAX_RENDERED,
    MAX_TEMPLATE,
    cap,
    compile_template,
    render_capped,
)

__all__ = ["MAX_RENDERED", "check_instructions", "render_instructions",
           "template_runs_in_process"]


@lru_cache(maxsize=1024)
def _parsed(source: str) -> tuple[frozenset[str], bool]:
    """(the variables a template reads, whether it may run in-process); raises
    TemplateSyntaxError. Rendering passes only those variables, not the whole case."""
    if len(source) > MAX_TEMPLATE:
        raise TemplateSyntaxError(f"the template is longer than {MAX_TEMPLATE:,} characters", 1)
    try:
        tree = ENV.parse(source)
    except (RecursionError, MemoryError):
        raise TemplateSyntaxError("the template is nested too deeply", 1) from None
    except ValueError as exc:  # e.g. an integer literal past the conversion limit
        raise TemplateSyntaxError(str(exc), 1) from None
    # Not jinja2.meta.find_undeclared_variables: it runs the code generator, which folds
    # constants. Every name read is a superset of those, which is all that is needed.
    names = frozenset(n.name for n in tree.find_all(nodes.Name) if n.ctx == "load")
    return names, template_is_bounded(tree)


def template_runs_in_process(source: str) -> bool:
    """True if the template is checked and rendered here rather than in the sandbox host."""
    try:
        return _parsed(source)[1]
    except Exception:  # noqa: BLE001 - a template that does not parse is refused here, quickly
        return True


def check_instructions(source: str, data: Mapping[str, Any]) -> str | None:
    """A message if the template does not compile, or the sandbox refuses it when rendered
    against ``data``; None if it is fine (other render errors depend on case data). Raises
    SandboxStopped if the host stopped it (too long, too much memory)."""
    try:
        names, bounded = _parsed(source)
        if bounded:
            try:
                compile_template(source)
            except TemplateSyntaxError:
                raise
            except Exception as exc:  # noqa: BLE001 - any compile failure is the lead's to see
                raise TemplateSyntaxError(f"the template cannot be compiled ({exc})", 1) from None
            return None
        values = {k: data[k] for k in names if k in data}
        run_in_host("template", source, values)
    except TemplateSyntaxError as exc:
        return f"instructions template error: {exc.message}"
    except SandboxStopped:
        raise
    except SandboxViolation as exc:
        return f"instructions template was refused: {exc}"
    except Exception:  # noqa: BLE001 - render errors depend on the data; the compile passed
        return None
    return None


# Small: it serves the repeated asks of one step or page, and holds names from case data.
_rendered: dict[tuple[str, str], str] = {}
_rendered_lock = threading.Lock()
_RENDERED_MAX = 256


def _render(source: str, values: dict[str, Any], bounded: bool) -> str:
    try:
        if bounded:
            return render_capped(compile_template(source), values)
        return cap(str(run_in_host("template", source, values)))
    except Exception:  # noqa: BLE001 - a broken template must not block the task
        return cap(source)


def render_instructions(source: str | None, data: Mapping[str, Any]) -> str:
    """Render instructions against task data; a failing template shows its raw text (capped)."""
    if not source:
        return ""
    try:
        names, bounded = _parsed(source)
    except Exception:  # noqa: BLE001 - the check reports it; the task must still be shown
        return cap(source)
    values = {k: data[k] for k in names if k in data}
    # The same task's instructions are asked for on every status: remember the text for
    # the values it was rendered from (repr tells types apart, unlike JSON). Failures are
    # remembered too, so a template stopped by the host costs its time limit once.
    key = (source, repr(values))
    with _rendered_lock:
        text = _rendered.get(key)
    if text is None:
        text = _render(source, values, bounded)
        with _rendered_lock:
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.pop(next(iter(_rendered)))
            _rendered[key] = text
    return text
