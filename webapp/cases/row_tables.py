"""Table rows rendered by Jinja2 templates (``webapp/cases/row_templates/``), all rows of a
table in one call.

Rendered by Django's template language, 25 rows of a dozen to twenty variables each were about
60 % of the list pages' Python calls (docs/benchmarks.md, "Lists near the floor (session 9)"):
each variable is looked up, localised and escaped through several layers. Jinja compiles a
template to Python once, and its loop costs a few calls a value. Its environment autoescapes
every value (``markupsafe.escape``); the templates are its own directory, not found by the
Django template engines, and see only the context passed to ``rendered_rows``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

ROW_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("row_templates")),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    auto_reload=settings.DEBUG)
ROW_TEMPLATES.globals.clear()  # no range(), lipsum(), …: a row template reads its context only


def rendered_rows(template: str, **context: Any) -> SafeString:
    """The ``<tr>`` rows of ``template`` (a file of ``row_templates/``) for the Django page."""
    html = ROW_TEMPLATES.get_template(template).render(context)
    # safe: the markup is the template file's and autoescape escaped every value in it
    return mark_safe(html)  # noqa: S308
