"""The restricted environment every diagram expression and script runs in.

SpiffWorkflow's default engine is plain ``eval``/``exec`` with full builtins, and "restricted
builtins only" is still escapable through dunder walks. Everything here is compiled with
RestrictedPython's ``compile_restricted`` (names and attributes starting with ``_`` are refused at
compile time, attribute access goes through ``safer_getattr``) and runs with a short allowlist of
builtins. Resource use is bounded too: integer powers, sequence repetition and ``range`` are capped
so that a one-line expression cannot allocate gigabytes.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

# Largest sequence or string a single operation in a diagram may create.
MAX_SEQUENCE_LENGTH = 100_000
# Longest number (in digits) a format spec may hold: "{x:>999}" at most.
MAX_FORMAT_DIGITS = 3
# Loop steps one evaluation of diagram code may take in total.
MAX_ITERATIONS = 1_000_000
# Largest integer (in bits) a power operation may produce.
MAX_INT_BITS = 4096

_SAFE_EXTRA_BUILTINS = (
    "dict", "list", "set", "sum", "min", "max", "any", "all", "enumerate", "sorted",
    "reversed", "map", "filter",
)
_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
# Modules whose attributes a diagram may never reach, even through an allowed object.
_FORBIDDEN_TYPES = (type(re), type(builtins))


class SandboxViolation(Exception):
    """An expression tried something the sandbox does not allow."""


class DiagramPolicy(RestrictingNodeTransformer):  # type: ignore[misc]
    """RestrictedPython's policy, tightened for diagram code.

    ``while`` loops are refused (nothing in a case process needs an unbounded loop), and the
    operators that can allocate without limit (``*``, ``**``, ``<<``) are routed through guards.
    Format specs must be short literals (``f"{x:>999999999}"`` would allocate a gigabyte).
    """

    _GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_"}

    def visit_While(self, node: ast.While) -> None:
        self.error(node, "while loops are not allowed in diagram code.")

    def visit_Import(self, node: ast.Import) -> None:
        self.error(node, "imports are not allowed in diagram code.")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.error(node, "imports are not allowed in diagram code.")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.error(node, "class definitions are not allowed in diagram code.")

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = self._GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        func = ast.copy_location(ast.Name(id=guard, ctx=ast.Load()), node)
        call = ast.Call(func=func, args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            for part in parts:
                literal = isinstance(part, ast.Constant) and isinstance(part.value, str)
                numbers = re.findall(r"\d+", part.value) if literal else []
                if not literal or any(len(n) > MAX_FORMAT_DIGITS for n in numbers):
                    self.error(node, "format specs must be short literals.")
        return self.node_contents_visit(node)


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, _FORBIDDEN_TYPES):
        raise SandboxViolation(f"access to module attribute {name!r} is not allowed")
    if name in {"format", "format_map"} and isinstance(obj, str):
        # str.format can walk attributes ("{0.__class__}") outside the compile-time guard.
        raise SandboxViolation("str.format is not allowed; use an f-string")
    if name in _PADDING_METHODS and isinstance(obj, (str, bytes)):
        raise SandboxViolation(f"str.{name} is not allowed")
    if name.startswith("gi_") or name.startswith("cr_") or name.startswith("f_"):
        raise SandboxViolation(f"attribute {name!r} is not allowed")
    return safer_getattr(obj, name, default)


def _checked_size(value: Any) -> Any:
    if isinstance(value, (str, bytes, list, tuple)) and len(value) > MAX_SEQUENCE_LENGTH:
        raise SandboxViolation("result is too large")
    return value


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQUENCE_LENGTH:
        raise SandboxViolation("range is too large")
    return r


def _safe_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and mod is None and exp > 0:
        if base not in (0, 1, -1) and abs(base).bit_length() * exp > MAX_INT_BITS:
            raise SandboxViolation("number is too large")
    return pow(base, exp, mod) if mod is not None else pow(base, exp)


def _safe_mul(x: Any, y: Any) -> Any:
    for seq, n in ((x, y), (y, x)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
            if len(seq) * n > MAX_SEQUENCE_LENGTH:
                raise SandboxViolation("result is too large")
    if isinstance(x, int) and isinstance(y, int):
        if x.bit_length() + y.bit_length() > MAX_INT_BITS:
            raise SandboxViolation("number is too large")
    return x * y


def _safe_lshift(x: Any, y: Any) -> Any:
    if isinstance(y, int) and y > MAX_INT_BITS:
        raise SandboxViolation("number is too large")
    return x << y


class _Budget:
    """Work one evaluation of diagram code may do: loop steps plus elements it multiplies out."""

    def __init__(self, limit: int = MAX_ITERATIONS) -> None:
        self.remaining = limit

    def charge(self, units: int) -> None:
        self.remaining -= units
        if self.remaining < 0:
            raise SandboxViolation("the expression does too much work")

    def getiter(self, obj: Any) -> Any:
        for item in default_guarded_getiter(obj):
            self.charge(1)
            yield item

    def mul(self, x: Any, y: Any) -> Any:
        result = _safe_mul(x, y)
        if isinstance(result, (str, bytes, list, tuple)):
            self.charge(len(result))
        return result

    def guards(self) -> dict[str, Any]:
        return {"_getiter_": self.getiter, "_mul_": self.mul}


_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": _safe_mul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "|=": operator.ior, "&=": operator.iand,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE_OPS:
        raise SandboxViolation(f"operator {op} is not allowed")
    return _checked_size(_INPLACE_OPS[op](x, y))


def _build_globals(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    allowed = {**safe_builtins, **limited_builtins, **utility_builtins}
    for name in _SAFE_EXTRA_BUILTINS:
        allowed[name] = getattr(builtins, name)
    allowed["range"] = _safe_range
    allowed["pow"] = _safe_pow
    # utility_builtins brings whole modules (string, math, random, whrandom, set, frozenset);
    # keep only what a diagram legitimately needs.
    for name in ("string", "random", "whrandom", "setattr", "delattr", "_getattr_",
                 "__build_class__"):
        allowed.pop(name, None)
    return {
        "__builtins__": allowed,
        "__metaclass__": type,
        "__name__": "diagram",
        "_getattr_": _guarded_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "_mul_": _safe_mul,
        "_pow_": _safe_pow,
        "_lshift_": _safe_lshift,
        "_print_": None,
        **(extra or {}),
    }


HELPERS: dict[str, Any] = {"timedelta": datetime.timedelta}


@lru_cache(maxsize=4096)
def compile_expression(source: str, mode: str = "eval") -> CodeType:
    """Compile ``source`` restricted; raise SyntaxError with a usable line number."""
    try:
        code = compile_restricted(source, "<diagram>", mode, policy=DiagramPolicy)
    except SyntaxError as exc:
        # RestrictedPython's SyntaxError carries lineno=None and a tuple of messages.
        messages = exc.args[0] if exc.args and isinstance(exc.args[0], tuple) else (exc.msg,)
        text = "; ".join(str(m) for m in messages)
        match = re.search(r"Line (\d+)", text)
        line = exc.lineno or (int(match.group(1)) if match else 1)
        raise SyntaxError(text, ("<diagram>", line, 0, "")) from None
    if _contains_power_of_constants(code):
        raise SyntaxError("constant power expressions are not allowed", ("<diagram>", 1, 0, ""))
    return code


def _contains_power_of_constants(code: CodeType) -> bool:
    # Python folds "10**10**9" at compile time, before any guard can run: refuse huge constants.
    for const in code.co_consts:
        if isinstance(const, int) and const.bit_length() > MAX_INT_BITS:
            return True
        if isinstance(const, (str, bytes, tuple)) and len(const) > MAX_SEQUENCE_LENGTH:
            return True
        if isinstance(const, CodeType) and _contains_power_of_constants(const):
            return True
    return False


def check_source(source: str, mode: str = "eval") -> str | None:
    """Return a message if ``source`` does not compile under the sandbox, else None."""
    try:
        compile_expression(source, mode)
    except SyntaxError as exc:
        return str(exc.msg if hasattr(exc, "msg") else exc)
    return None


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """A SpiffWorkflow script environment that only runs restricted code."""

    def __init__(self, extra_globals: Mapping[str, Any] | None = None) -> None:
        super().__init__(_build_globals({**HELPERS, **(extra_globals or {})}))

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = compile_expression(expression, "eval")
        # Guards come last so that no data key can replace them.
        scope = {**(external_context or {}), **context, **self.globals, **_Budget().guards()}
        return _checked_size(eval(code, scope))  # noqa: S307 - restricted code object

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = compile_expression(script, "exec")
        context.update({**self.globals, **(external_context or {}), **_Budget().guards()})
        try:
            exec(code, context)  # noqa: S102 - restricted code object
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def evaluate(expression: str, data: Mapping[str, Any] | None = None) -> Any:
    """Evaluate one expression in the sandbox against plain data (used by lint and tests)."""
    return RestrictedEnvironment().evaluate(expression, dict(data or {}))


def execute(script: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a script in the sandbox against ``data`` and return the resulting data."""
    RestrictedEnvironment().execute(script, data)
    return data


def script_engine() -> PythonScriptEngine:
    """A fresh SpiffWorkflow script engine bound to the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
