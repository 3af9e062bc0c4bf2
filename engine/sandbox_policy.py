"""The compile policy and globals every piece of diagram code runs under (no SpiffWorkflow here).

Diagram code is compiled with RestrictedPython's ``compile_restricted`` under a tighter policy (no
imports, classes or ``while``; names and attributes starting with ``_`` refused), runs with a
short allowlist of builtins, and is charged against a work budget (``sandbox_guards``). This
module is imported both by the web process and by the sandbox host (``sandbox_host``), which
must start quickly, so it imports neither SpiffWorkflow nor the rest of the engine.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from types import CodeType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)

from engine.sandbox_guards import (
    MAX_INT_BITS,
    MAX_SEQUENCE_LENGTH,
    Budget,
    SandboxViolation,
    checked,
    guarded_getattr,
    safe_lshift,
    safe_pow,
)

# Longest number (in digits) a format spec may hold: "{x:>999}" at most.
MAX_FORMAT_DIGITS = 3
# Longest piece of diagram code accepted (deeply nested source crashes the compiler).
MAX_SOURCE_LENGTH = 20_000

_SAFE_EXTRA_BUILTINS = (
    "dict", "list", "set", "sum", "min", "max", "any", "all", "enumerate", "sorted",
    "reversed", "map", "filter",
)


class DiagramPolicy(RestrictingNodeTransformer):  # type: ignore[misc]
    """RestrictedPython's policy, tightened for diagram code.

    ``while`` loops, imports and classes are refused (nothing in a case process needs them); calls
    and the operators that can allocate without limit (``*``, ``+``, ``%``, ``**``, ``<<``) are
    routed through the budget's hooks.
    Format specs must be short literals (``f"{x:>999999999}"`` would allocate a gigabyte).
    """

    _GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_",
                    ast.Add: "_add_", ast.Mod: "_mod_"}

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

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """Route every call through the budget: ``f(x)`` becomes ``_call_(f, x)``."""
        node = super().visit_Call(node)
        if isinstance(node.func, ast.Name) and node.func.id in {"_apply_", "_call_"}:
            return node
        func = ast.copy_location(ast.Name(id="_call_", ctx=ast.Load()), node)
        call = ast.Call(func=func, args=[node.func, *node.args], keywords=node.keywords)
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


def _allowed_builtins() -> dict[str, Any]:
    """A fresh copy of the allowlist for each script engine (copied, not rebuilt)."""
    return dict(_ALLOWED_BUILTINS)


def _make_allowed_builtins() -> dict[str, Any]:
    allowed = {**safe_builtins, **limited_builtins, **utility_builtins}
    for name in _SAFE_EXTRA_BUILTINS:
        allowed[name] = getattr(builtins, name)
    allowed["pow"] = safe_pow
    # utility_builtins brings whole modules (string, math, random, whrandom); keep only what a
    # diagram needs. Exceptions that are not Exceptions (SystemExit, KeyboardInterrupt) would
    # stop a worker: none may be raised from a diagram.
    for name in ("string", "random", "whrandom", "setattr", "delattr", "_getattr_",
                 "__build_class__"):
        allowed.pop(name, None)
    for name, value in list(allowed.items()):
        if isinstance(value, type) and issubclass(value, BaseException) \
                and not issubclass(value, Exception):
            allowed.pop(name)
    return allowed


_ALLOWED_BUILTINS = _make_allowed_builtins()


def _build_globals(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "__builtins__": _allowed_builtins(),
        "__metaclass__": type,
        "__name__": "diagram",
        "_getattr_": guarded_getattr,
        "_getitem_": default_guarded_getitem,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_pow_": safe_pow,
        "_lshift_": safe_lshift,
        "_print_": None,
        **(extra or {}),
    }


LOCAL_TIMEZONE = "Europe/London"


def get_localtime(moment: datetime.datetime | None = None,
                  timezone: str = LOCAL_TIMEZONE) -> datetime.datetime:
    """SpiffArena's ``get_localtime``: ``moment`` (now when not given; a naive one is read as
    UTC) in ``timezone``, the UK's by default."""
    try:
        zone = ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    moment = moment or datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(zone)


# Names diagram code may use besides the builtins: SpiffArena's safe date and time helpers (its
# ``datetime``, ``timedelta`` and ``get_localtime``; ``date`` too). Its other helpers are left
# out: modules (``time``, ``pytz``, ``dateparser``) would open attribute access to whole
# libraries, and ``get_current_user`` would put who is working a case into its data (the
# product records who completed each task itself, in the case history).
HELPERS: dict[str, Any] = {
    "timedelta": datetime.timedelta, "datetime": datetime.datetime, "date": datetime.date,
    "get_localtime": get_localtime,
}


@lru_cache(maxsize=4096)
def compile_expression(source: str, mode: str = "eval") -> CodeType:
    """Compile ``source`` restricted; raise SyntaxError with a usable line number."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise SyntaxError(f"diagram code is longer than {MAX_SOURCE_LENGTH:,} characters",
                          ("<diagram>", 1, 0, ""))
    try:
        code = compile_restricted(source, "<diagram>", mode, policy=DiagramPolicy)
    except (RecursionError, MemoryError):
        raise SyntaxError("diagram code is nested too deeply", ("<diagram>", 1, 0, "")) from None
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


@contextmanager
def no_base_exceptions() -> Iterator[None]:
    """SystemExit, KeyboardInterrupt and GeneratorExit raised by diagram code become violations."""
    try:
        yield
    except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
        raise SandboxViolation(f"{type(exc).__name__} is not allowed in diagram code") from None


def code_names(code: CodeType) -> set[str]:
    """Every global name ``code`` (and the functions it defines) may read or write."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= code_names(const)
    return names


def run_eval(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate restricted ``expression`` against ``data`` in this process."""
    code = compile_expression(expression, "eval")
    # Guards come last so that no data key can replace them.
    scope = {**data, **_build_globals(HELPERS), **Budget().hooks()}
    with no_base_exceptions():
        return checked(eval(code, scope))  # noqa: S307 - restricted code object


def run_exec(script: str, data: dict[str, Any], external: Mapping[str, Any] | None = None) -> None:
    """Run restricted ``script`` in this process; ``data`` is changed in place and afterwards
    holds only data (no globals, guards, functions, or names from ``external``)."""
    code = compile_expression(script, "exec")
    reserved = {**_build_globals(HELPERS), **(external or {})}
    clash = set(reserved) & set(data)
    if clash:
        raise ValueError(f"task data overwrites predefined names: {sorted(clash)}")
    data.update({**reserved, **Budget().hooks()})
    try:
        with no_base_exceptions():
            exec(code, data)  # noqa: S102 - restricted code object
    finally:
        for key in [k for k, v in data.items()
                    if k.startswith("_") or k in reserved or callable(v)]:
            del data[key]
    for value in data.values():
        checked(value)
