"""Run-time guards for diagram code: attribute access, and a work budget per evaluation.

RestrictedPython stops names and attributes starting with ``_`` at compile time but bounds
neither CPU nor memory. Every call, loop step and sequence-building operator in diagram code is
routed through a ``Budget`` (the compile policy rewrites the code to call these hooks), so one
condition or script can neither loop forever nor allocate gigabytes.
"""

from __future__ import annotations

import builtins
import datetime
import decimal
import re
from collections.abc import Callable, Iterable
from typing import Any

from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import safer_getattr

# Largest string or sequence diagram code may build.
MAX_SEQUENCE_LENGTH = 100_000
# Work units (calls, loop steps, elements built) one evaluation may spend.
MAX_WORK = 1_000_000
# Largest integer (in bits) an operation may produce.
MAX_INT_BITS = 4096

_SEQUENCES = (str, bytes, list, tuple)
# Methods that allocate by an argument, walk attributes, or drive generators from outside.
_BLOCKED_ATTRIBUTES = frozenset({
    "format", "format_map", "ljust", "rjust", "center", "zfill", "expandtabs", "to_bytes",
    "throw", "send", "close", "mro",
})
_BLOCKED_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")
_FORBIDDEN_TYPES = (type(re), type(builtins))
_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d{4,})")


class SandboxViolation(Exception):
    """Diagram code tried something the sandbox does not allow."""


class SandboxStopped(SandboxViolation):
    """Diagram code was stopped by the sandbox host: it took too long or too much memory."""


def size_of(value: Any) -> int:
    """Rough element count of a value, counting the strings a list holds."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(v) for v in value if isinstance(v, (str, bytes)))
    if isinstance(value, (dict, set, frozenset)):
        return len(value)
    return 1


def checked(value: Any) -> Any:
    if isinstance(value, _SEQUENCES) and size_of(value) > MAX_SEQUENCE_LENGTH:
        raise SandboxViolation("the result is too large")
    return value


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise SandboxViolation("the number is too large")
    return value


def safe_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and mod is None and exp > 0:
        if base not in (0, 1, -1) and abs(base).bit_length() * exp > MAX_INT_BITS:
            raise SandboxViolation("the number is too large")
    return pow(base, exp, mod) if mod is not None else pow(base, exp)


def safe_lshift(x: Any, y: Any) -> Any:
    if isinstance(y, int) and y > MAX_INT_BITS:
        raise SandboxViolation("the number is too large")
    return _check_int(x << y)


def _bounded_list_method(target: list[Any], method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        result = method(*args)
        if len(target) > MAX_SEQUENCE_LENGTH:
            del target[MAX_SEQUENCE_LENGTH:]
            raise SandboxViolation("the list is too large")
        return result
    return call


def _bounded_replace(text: str) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        times = text.count(old) if count < 0 else min(count, text.count(old))
        if len(text) + times * (len(new) - len(old)) > MAX_SEQUENCE_LENGTH:
            raise SandboxViolation("the result is too large")
        return text.replace(old, new, count)
    return replace


def _bounded_join(sep: str) -> Callable[[Iterable[Any]], str]:
    def join(items: Iterable[Any]) -> str:
        parts = list(items)
        total = len(sep) * len(parts) + sum(len(p) for p in parts if isinstance(p, str))
        if total > MAX_SEQUENCE_LENGTH:
            raise SandboxViolation("the result is too large")
        return sep.join(parts)
    return join


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute access for diagram code (RestrictedPython already refused ``_`` names)."""
    if isinstance(obj, _FORBIDDEN_TYPES):
        raise SandboxViolation(f"access to module attribute {name!r} is not allowed")
    if name in _BLOCKED_ATTRIBUTES or name.startswith(_BLOCKED_PREFIXES):
        hint = "; use an f-string" if name.startswith("format") else ""
        raise SandboxViolation(f"'.{name}' is not allowed in diagram code{hint}")
    value = safer_getattr(obj, name, default)
    if isinstance(obj, list) and name in {"append", "extend", "insert"}:
        return _bounded_list_method(obj, value)
    if isinstance(obj, str) and name == "replace":
        return _bounded_replace(obj)
    if isinstance(obj, str) and name == "join":
        return _bounded_join(obj)
    return value


class Budget:
    """The work one evaluation may do; its hooks replace RestrictedPython's defaults."""

    def __init__(self, limit: int = MAX_WORK) -> None:
        self.remaining = limit

    def charge(self, units: int) -> None:
        self.remaining -= units
        if self.remaining < 0:
            raise SandboxViolation("the expression does too much work")

    def getiter(self, obj: Any) -> Any:
        for item in default_guarded_getiter(obj):
            self.charge(1)
            yield item

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.charge(1)
        return func(*args, **kwargs)

    def range(self, *args: int) -> range:
        r = range(*args)
        if len(r) > MAX_SEQUENCE_LENGTH:
            raise SandboxViolation("the range is too large")
        self.charge(len(r))
        return r

    def _built(self, value: Any) -> Any:
        if isinstance(value, _SEQUENCES):
            checked(value)
            self.charge(size_of(value))
        return _check_int(value)

    def mul(self, x: Any, y: Any) -> Any:
        for seq, n in ((x, y), (y, x)):
            if isinstance(seq, _SEQUENCES) and isinstance(n, int):
                if size_of(seq) * n > MAX_SEQUENCE_LENGTH:
                    raise SandboxViolation("the result is too large")
        if isinstance(x, int) and isinstance(y, int):
            if x.bit_length() + y.bit_length() > MAX_INT_BITS:
                raise SandboxViolation("the number is too large")
        return self._built(x * y)

    def add(self, x: Any, y: Any) -> Any:
        if isinstance(x, _SEQUENCES) and isinstance(y, _SEQUENCES):
            if size_of(x) + size_of(y) > MAX_SEQUENCE_LENGTH:
                raise SandboxViolation("the result is too large")
        return self._built(x + y)

    def mod(self, x: Any, y: Any) -> Any:
        if isinstance(x, str) and _PERCENT_WIDTH.search(x):
            raise SandboxViolation("'%' formats with computed or very wide fields are not allowed")
        return self._built(x % y)

    def inplace(self, op: str, x: Any, y: Any) -> Any:
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "+=": self.add, "-=": lambda a, b: a - b, "*=": self.mul, "/=": lambda a, b: a / b,
            "//=": lambda a, b: a // b, "%=": self.mod, "|=": lambda a, b: a | b,
            "&=": lambda a, b: a & b,
        }
        if op not in ops:
            raise SandboxViolation(f"operator {op} is not allowed")
        return ops[op](x, y)

    def hooks(self) -> dict[str, Any]:
        """The names the compiled code calls, bound to this budget."""
        return {
            "_getiter_": self.getiter, "_call_": self.call, "_apply_": self.call,
            "_mul_": self.mul, "_add_": self.add, "_mod_": self.mod,
            "_inplacevar_": self.inplace, "range": self.range,
        }


# What diagram code may hand back to the engine (results, data a script leaves): counted the way a
# serializer would walk it, every alias again, so that a list repeated a million times by reference
# is as large as it looks once written out.
MAX_RESULT_UNITS = 250_000
MAX_RESULT_DEPTH = 64
_SCALARS = (bool, float, type(None), datetime.datetime, datetime.date, datetime.time,
            datetime.timedelta, decimal.Decimal)
# Small ints hash to themselves; larger ones (and floats) can be chosen to collide.
_KEY_INT_BOUND = 2**31


def _hashable_key(key: Any) -> bool:
    return isinstance(key, str) or key is None or isinstance(key, bool) or (
        type(key) is int and -_KEY_INT_BOUND < key < _KEY_INT_BOUND)


def _children(item: Any, depth: int, room: int) -> tuple[list[Any], int]:
    """(what a container holds that must be walked, the units it adds itself)."""
    if depth >= MAX_RESULT_DEPTH:
        raise SandboxViolation(f"the result is nested more than {MAX_RESULT_DEPTH} deep")
    if len(item) > room:
        raise SandboxViolation("the result is too large")
    if isinstance(item, (dict, set, frozenset)):
        if not all(_hashable_key(k) for k in item):
            raise SandboxViolation("dictionary keys and set members must be text or small "
                                   "numbers")
        units = len(item) + sum(len(k) // 8 for k in item if isinstance(k, str))
        return (list(item.values()) if isinstance(item, dict) else []), units
    return list(item), 0


def check_storable(value: Any, limit: int = MAX_RESULT_UNITS) -> None:
    """Refuse a value the engine could not hold cheaply: too large once written out (aliases
    counted every time), too deep, of a type case data does not hold, or with set members or
    dictionary keys whose hashes could be made to collide."""
    units = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        units += 1
        if isinstance(item, (str, bytes)):
            if len(item) > MAX_SEQUENCE_LENGTH:
                raise SandboxViolation(f"a text longer than {MAX_SEQUENCE_LENGTH:,} characters "
                                       "cannot be kept in case data")
            units += len(item) // 8
        elif type(item) is int and item.bit_length() > MAX_INT_BITS:
            raise SandboxViolation("the number is too large")
        elif isinstance(item, (list, tuple, dict, set, frozenset)):
            children, own = _children(item, depth, limit - units)
            units += own
            stack.extend((child, depth + 1) for child in children)
        elif not isinstance(item, (int, *_SCALARS)):
            raise SandboxViolation(f"{type(item).__name__} values cannot be kept in case data")
        if units > limit:
            raise SandboxViolation("the result is too large")
