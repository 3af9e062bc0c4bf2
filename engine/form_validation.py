"""Validate submitted form data against a diagram's JSON Schema in bounded work, offline.

The schema is hostile input (see ``engine.form_schema``) and so is the data. Validation never
fetches anything (every ``$ref`` outside the document is refused by the registry), matches
``pattern``/``patternProperties`` with RE2 (linear time), checks ``uniqueItems`` by hashing
(jsonschema falls back to O(n²) comparisons), and meters every keyword it evaluates against a
work budget, so a schema whose ``$ref``s or applicators multiply the work stops with a clear
refusal. The data itself is bounded first: nesting, number of values, integers within the
range every JSON reader keeps exactly (±2**53-1), finite floats, no NUL characters.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from engine.errors import EngineError
from engine.form_messages import keyword_message, missing, override
from engine.form_rules import rule_errors
from engine.form_schema import MAX_DEPTH, PatternRefused, compile_pattern
from engine.sandbox_guards import MAX_SEQUENCE_LENGTH

MAX_DATA_VALUES = 20_000
# The longest text case data may hold (as for what diagram code stores): whatever a form's
# schema says, no value is larger than this, which bounds what in-process code can build.
MAX_TEXT_LENGTH = MAX_SEQUENCE_LENGTH
MAX_SAFE_INTEGER = 2**53 - 1
MAX_FORMAT_LENGTH = 1_000  # dates, e-mail addresses, hostnames, UUIDs... are all far shorter
# Units of keyword work per submission: the national forms use at most about 400; the costliest
# payloads measured (chains of $ref and allOf, 3,000-entry enums) spend it in about 0.3 s.
WORK_BUDGET = 50_000
_REF_UNITS = 5  # resolving a reference costs several plain keywords
MAX_MESSAGE = 300

_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("form_work_budget")


class _TooCostly(Exception):
    pass


# --- the data -------------------------------------------------------------------------------


def _refused(message: str, where: str, field_message: str) -> EngineError:
    return EngineError("invalid_data", message, field_errors={where: [field_message]})


def _check_scalar(value: Any, path: str) -> None:
    where = path.rstrip(".") or "value"
    if isinstance(value, str):
        if "\x00" in value:
            raise _refused(f"'{where}' contains a NUL character", where.replace(".", "/"),
                           "Remove the NUL character.")
        if len(value) > MAX_TEXT_LENGTH:
            raise _refused(f"'{where}' is longer than {MAX_TEXT_LENGTH:,} characters",
                           where.replace(".", "/"),
                           f"Shorten this to at most {MAX_TEXT_LENGTH:,} characters.")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_SAFE_INTEGER:
            raise _refused(f"'{where}' is too large a number", where.replace(".", "/"),
                           f"Enter a number between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}.")
    elif isinstance(value, float) and not math.isfinite(value):
        raise _refused(f"'{where}' is not a finite number", where.replace(".", "/"),
                       "Enter a finite number.")


def check_user_data(data: Any) -> None:
    """Refuse data too deep or too big to handle, bad numbers, and keys the serializer would
    misread or the sandbox reserves. Iterative, so any depth is refused rather than crashing."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    count = 0
    while stack:
        value, path, depth = stack.pop()
        count += 1
        if count > MAX_DATA_VALUES:
            raise _refused(f"The form data has more than {MAX_DATA_VALUES} values.", "",
                           f"Send at most {MAX_DATA_VALUES} values.")
        if isinstance(value, Mapping | list) and depth > MAX_DEPTH:
            raise _refused(f"The form data nests deeper than {MAX_DEPTH} levels.",
                           path.rstrip(".").replace(".", "/"), "This is nested too deeply.")
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str):
                    raise EngineError("invalid_data",
                                      f"data keys must be strings ({path or 'top'})")
                if key == "typename" or key.startswith("_"):
                    raise _refused(f"'{path}{key}' is a reserved name", f"{path}{key}",
                                   "This name is reserved.")
            stack.extend((value[k], f"{path}{k}.", depth + 1) for k in reversed(list(value)))
        elif isinstance(value, list):
            stack.extend((item, f"{path}{i}.", depth + 1)
                         for i, item in reversed(list(enumerate(value))))
        else:
            _check_scalar(value, path)


# --- the validator --------------------------------------------------------------------------


def _refuse_retrieval(uri: str) -> Resource:
    """Nothing outside the form's own document is ever fetched or opened."""
    raise NoSuchResource(ref=uri)


_OFFLINE = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]


def _size(value: Any) -> int:
    if isinstance(value, list | dict):
        return len(value)
    return len(value) // 256 if isinstance(value, str) else 0


def _charge(units: int) -> None:
    budget = _budget.get(None)
    if budget is not None:
        budget[0] -= units
        if budget[0] < 0:
            raise _TooCostly


def _metered(keyword: str, check: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
    """Charge each keyword for the work it does on the instance before running it."""

    def metered(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if keyword in ("patternProperties", "additionalProperties"):
            patterns = schema.get("patternProperties") if isinstance(schema, Mapping) else None
            _charge(1 + _size(instance) * (1 + _size(patterns)))
        elif keyword in ("enum", "const"):  # deep comparisons, each up to the instance's size
            _charge(1 + (1 + _size(value)) * (1 + _size(instance)))
        elif keyword in ("$ref", "$dynamicRef"):
            _charge(_REF_UNITS)
        else:
            _charge(1 + _size(value) + _size(instance))
        yield from check(validator, value, instance, schema) or ()

    return metered


def _search(pattern: str, text: str) -> bool:
    try:
        return compile_pattern(pattern).search(text) is not None
    except PatternRefused as exc:
        raise _Unusable(f"the pattern {pattern[:100]!r} cannot be used ({exc})") from None


class _Unusable(Exception):
    """The (legacy) schema holds something that cannot be checked safely."""


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any,
                        schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, extra: Any, instance: Any,
                           schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    named, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = [k for k in instance
              if k not in named and not any(_search(p, k) for p in patterns)]
    if validator.is_type(extra, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra, path=key)
    elif not extra and extras:
        listed = ", ".join(repr(k) for k in sorted(extras)[:10])
        yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


def _hashable(value: Any) -> Any:
    """A key equal for JSON-equal values (1 == 1.0, but True is not 1)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("object", frozenset((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_hashable(v) for v in value))
    return ("value", value)


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if unique and validator.is_type(instance, "array"):
        if len({_hashable(item) for item in instance}) != len(instance):
            yield ValidationError("The list has repeated items")


def _unsupported(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    raise _Unusable("the form uses 'unevaluated...' keywords, which forms do not support")


def _re2_regex(instance: object) -> bool:
    if isinstance(instance, str):
        compile_pattern(instance)
    return True


def _bounded(check: Callable[[object], bool]) -> Callable[[object], bool]:
    def bounded(instance: object) -> bool:
        return not (isinstance(instance, str) and len(instance) > MAX_FORMAT_LENGTH) and check(
            instance)

    return bounded


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("regex", raises=PatternRefused)(_re2_regex)
    checker.checkers = {name: (_bounded(check), raises)
                        for name, (check, raises) in checker.checkers.items()}
    return checker


_OWN = {"pattern": _pattern, "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties, "uniqueItems": _unique_items,
        "unevaluatedItems": _unsupported, "unevaluatedProperties": _unsupported}
FormValidator: Any = validators.extend(Draft202012Validator, validators={
    keyword: _metered(keyword, _OWN.get(keyword, check))
    for keyword, check in Draft202012Validator.VALIDATORS.items()})
_FORMAT_CHECKER = _format_checker()
_validators: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    # Form schemas live as long as their (cached, immutable) definition: key by identity.
    cached = _validators.get(id(schema))
    if cached is None or cached[0] is not schema:
        # Without '$schema', jsonschema's validator_for() keeps this class when it descends
        # into the root again (a '$ref' to '#'), rather than switching to the stock one.
        own = {k: v for k, v in schema.items() if k != "$schema"}
        cached = (schema, FormValidator(own, format_checker=_FORMAT_CHECKER,
                                        registry=_OFFLINE))
        _validators[id(schema)] = cached
    return cached[1]


def _short(message: str, instance: Any) -> str:
    """jsonschema quotes the whole value in its messages: quote a long one by its start."""
    if len(message) <= MAX_MESSAGE:
        return message
    if isinstance(instance, str):
        message = message.replace(repr(instance), repr(instance[:40]) + "…")
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


def _message(schema: Mapping[str, Any], ui: Any, err: ValidationError) -> tuple[str, str]:
    """Where an error belongs (a '/'-joined path) and its message in the form's words."""
    path: list[str | int] = list(err.absolute_path)
    if err.validator == "required":
        name = err.message.split("'")[1] if "'" in err.message else ""
        path = [*path, name] if name else path
        text = override(ui, path, "required") or missing(schema, path)
    else:
        keyword = str(err.validator)
        text = override(ui, path, keyword) or keyword_message(
            schema, path, keyword, err.validator_value, err.instance)
    return "/".join(str(p) for p in path), _short(text, None)


def _errors(schema: Mapping[str, Any], data: Mapping[str, Any],
            ui: Any = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    token = _budget.set([WORK_BUDGET])
    try:
        for err in _validator(schema).iter_errors(data):
            where, message = _message(schema, ui, err)
            if not errors.get(where):  # one message per answer, the first it breaks
                errors[where] = [message]
        for where, messages in rule_errors(schema, ui, data, skip=errors).items():
            errors.setdefault(where, []).extend(messages)
    except _TooCostly:
        return {"": ["This form takes too much work to check; ask a policy lead to simplify "
                     "it."]}
    except (_Unusable, Unresolvable) as exc:
        reason = exc if isinstance(exc, _Unusable) else "it refers to another document"
        return {"": [f"This form cannot be checked: {reason}. Ask a policy lead to fix it."]}
    except RecursionError:
        return {"": ["This form cannot be checked: it nests too deeply."]}
    finally:
        _budget.reset(token)
    return errors


def validate_form_data(schema: Mapping[str, Any] | None, data: Mapping[str, Any],
                       ui: Mapping[str, Any] | None = None) -> None:
    """Raise EngineError('invalid_data') with field errors if ``data`` breaks ``schema`` or the
    date rules its UI schema ``ui`` declares (engine.form_rules); messages in the form's words."""
    check_user_data(data)
    if schema is None:
        return
    errors = _errors(schema, data, ui)
    if errors:
        raise EngineError("invalid_data", "The form has errors; nothing was saved.",
                          field_errors=errors)
