"""The restricted environment every diagram expression and script runs in.

SpiffWorkflow's default engine is plain ``eval``/``exec`` with full builtins, and "restricted
builtins only" is still escapable through dunder walks. Everything here is compiled with
RestrictedPython's ``compile_restricted`` under a tighter policy (``sandbox_policy``), runs with a
short allowlist of builtins and is charged against a work budget (``sandbox_guards``). Work done
in C inside builtins escapes that budget and holds the interpreter lock, so code the cost model
(``sandbox_cost``) cannot prove cheap runs in the sandbox host (``sandbox_host``), a separate
process stopped after ``TIME_LIMIT`` or ``MEMORY_LIMIT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.sandbox_cost import python_is_bounded
from engine.sandbox_guards import SandboxStopped, SandboxViolation
from engine.sandbox_host import run_in_host
from engine.sandbox_policy import (
    HELPERS,
    _build_globals,
    check_source,
    code_names,
    compile_expression,
    run_eval,
    run_exec,
)

__all__ = ["HELPERS", "RestrictedEnvironment", "SandboxStopped", "SandboxViolation", "check_source",
           "compile_expression", "evaluate", "execute", "probe", "script_engine"]


def _used(code_source: str, mode: str, *scopes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each scope cut down to the names the code can refer to (all it could read or write)."""
    names = code_names(compile_expression(code_source, mode))
    # Names starting with "_" are the guards' (data cannot replace them): never sent.
    return [{k: v for k, v in scope.items() if k in names and not k.startswith("_")}
            for scope in scopes]


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """A SpiffWorkflow script environment that only runs restricted code: in-process when the
    cost model proves it cheap, in the sandbox host otherwise."""

    def __init__(self) -> None:
        super().__init__(_build_globals(HELPERS))

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        scope = {**(external_context or {}), **context}
        if python_is_bounded(expression, "eval"):
            return run_eval(expression, scope)
        (used,) = _used(expression, "eval", scope)
        return run_in_host("eval", expression, used)

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        if python_is_bounded(script, "exec"):
            run_exec(script, context, external_context)
            return True
        data, external = _used(script, "exec", context, external_context or {})
        result = run_in_host("exec", script, data, external)
        for key in set(data) - set(result):
            del context[key]  # the script deleted it
        context.update(result)
        return True


def evaluate(expression: str, data: Mapping[str, Any] | None = None) -> Any:
    """Evaluate one expression in the sandbox against plain data (used by lint and tests)."""
    return RestrictedEnvironment().evaluate(expression, dict(data or {}))


def execute(script: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a script in the sandbox against ``data`` and return the resulting data."""
    RestrictedEnvironment().execute(script, data)
    return data


def probe(source: str, mode: str, data: Mapping[str, Any]) -> str | None:
    """Run code that is not provably cheap against sample ``data`` in the sandbox host: raise
    SandboxStopped if the host stopped it, say why if the sandbox refused it; other failures
    depend on the data and are left to run time."""
    if python_is_bounded(source, mode):
        return None
    try:
        if mode == "eval":
            evaluate(source, data)
        else:
            execute(source, dict(data))
    except SandboxStopped:
        raise
    except SandboxViolation as exc:
        return str(exc)
    except Exception:  # noqa: BLE001 - data-dependent failures are for run time
        return None
    return None


def script_engine() -> PythonScriptEngine:
    """A fresh SpiffWorkflow script engine bound to the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
