"""What the sandbox host does for a request: evaluate, execute, or compile and render a template.

Runs inside the host process (``sandbox_host.serve``). Every result is checked with
``check_storable`` before it leaves, so that nothing too large, too deep, aliased into a monster
or hash-colliding reaches the web process.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateSyntaxError

from engine.sandbox_guards import SandboxViolation, check_storable
from engine.sandbox_policy import compile_expression, run_eval, run_exec
from engine.template_env import compile_template, render_capped


def _eval(source: str, data: dict[str, Any]) -> Any:
    result = run_eval(source, data)
    check_storable(result)
    return result


def _exec(source: str, data: dict[str, Any], external: dict[str, Any]) -> dict[str, Any]:
    run_exec(source, data, external)
    check_storable(data)
    return data


def _template(source: str, values: dict[str, Any] | None) -> str | None:
    """Compile ``source`` (Jinja folds constants here) and, given values, render it capped."""
    try:
        template = compile_template(source)
    except TemplateSyntaxError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a folded constant too long to write out
        raise TemplateSyntaxError(f"the template cannot be compiled ({exc})", 1) from None
    return None if values is None else render_capped(template, values)


def _warm() -> None:
    """Import and exercise everything once, before the host limits its memory."""
    compile_expression("len([x for x in 'ab']) > 0 and f'{1}' != ''", "eval")
    run_exec("y = sorted({'a': 1}.items())", {})
    render_capped(compile_template("{% for c in x %}{{ c|upper }}{% endfor %}"), {"x": "ab"})


def run(request: tuple[Any, ...]) -> Any:
    kind, *args = request
    if kind == "warm":
        _warm()
        return None
    if kind == "ping":
        return "pong"
    if kind == "eval":
        return _eval(*args)
    if kind == "exec":
        return _exec(*args)
    if kind == "template":
        return _template(*args)
    raise SandboxViolation(f"unknown sandbox request {kind!r}")
