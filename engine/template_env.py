"""The Jinja environment instructions are compiled and rendered in, with the rendered size capped.

Imported by the web process and by the sandbox host alike (nothing here may be heavy).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Longest instructions text shown or stored for a task, and longest template accepted.
MAX_RENDERED = 10_000
MAX_TEMPLATE = 20_000

ENV = ImmutableSandboxedEnvironment(autoescape=False, undefined=ChainableUndefined)


@lru_cache(maxsize=1024)
def compile_template(source: str) -> Template:
    """Compile a template; raises jinja2.TemplateSyntaxError with a line number.

    Jinja folds constant expressions while compiling: only call this in the web process for
    templates ``sandbox_cost.template_is_bounded`` accepts.
    """
    return ENV.from_string(source)


def cap(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_RENDERED else text[:MAX_RENDERED - 1] + "…"


def render_capped(template: Template, values: Mapping[str, Any]) -> str:
    """Render, stopping once the text passes ``MAX_RENDERED`` characters."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(dict(values)):
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_RENDERED:
            break
    return cap("".join(parts))
