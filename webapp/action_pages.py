"""Action pages: one page per action a person takes (pause a clock, withdraw, publish...).

GET shows the action's form with what it will do and a way back; POST performs it. A refusal
shows the same form again, the message beside its field and in the error summary, every typed
value kept, with the refusal's HTTP status (400, 403, 409...): nothing was changed, and nothing
is lost. The API keeps its problem+json answers; this is the server-rendered UI's only refusal
path, so views need no try/refused/redirect of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from webapp.errors import FAILURES, ServiceError, log_failure

log = logging.getLogger(__name__)

MAX_VALUE = 2000  # characters kept of one posted value (the services' own limits are lower)


@dataclass(frozen=True)
class Field:
    """One question of an action's form: ``kind`` is text, textarea, radios, checkboxes,
    select, file or hidden (a checkboxes question's value is its ticked values joined by
    commas)."""

    name: str
    label: str
    kind: str = "text"
    hint: str = ""
    choices: Sequence[tuple[str, str]] = ()
    max_length: int = 500
    initial: str = ""


@dataclass
class Page:
    """What an action page shows around its form."""

    title: str
    submit: str
    back: str
    back_label: str
    caption: str = ""
    intro: Sequence[str] = ()
    fields: Sequence[Field] = ()
    warning: bool = False  # the action is serious or cannot be undone: a red button
    details: Sequence[tuple[str, str]] = ()  # a summary list: what the action acts on

    @property
    def multipart(self) -> bool:
        return any(f.kind == "file" for f in self.fields)


@dataclass
class ShownField:
    field: Field
    value: str
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"action-{self.field.name}"

    @property
    def ticked(self) -> list[str]:
        return self.value.split(",") if self.value else []


def refusal_message(request: HttpRequest, exc: ServiceError) -> str:
    """The refusal as a person reads it (logged without any typed value); a failure of the
    process itself carries the reference its detail is logged under."""
    log.info("refused: status=%s code=%s path=%s", exc.http_status, exc.code, request.path)
    if exc.code in FAILURES or exc.log_detail:
        reference = getattr(request, "correlation_id", "") or "unknown"
        log_failure(exc, reference)
        return f"{exc.message} If you report this, quote the reference {reference}."
    return exc.message


def posted_values(request: HttpRequest) -> dict[str, str]:
    return {name: ",".join(request.POST.getlist(name))[:MAX_VALUE] for name in request.POST
            if name != "csrfmiddlewaretoken"}


def _shown(page: Page, values: Mapping[str, str],
           field_errors: Mapping[str, Sequence[str]]) -> list[ShownField]:
    return [ShownField(f, values.get(f.name, f.initial), list(field_errors.get(f.name, ())))
            for f in page.fields]


def render_page(request: HttpRequest, page: Page, values: Mapping[str, str] | None = None,
                error: ServiceError | None = None) -> HttpResponse:
    """The action's form, again with ``error`` (beside its field and in the summary)."""
    values = values or {}
    field_errors = dict(error.field_errors) if error is not None else {}
    shown = _shown(page, values, field_errors)
    summary: list[tuple[str, str]] = []
    if error is not None:
        message = refusal_message(request, error)
        inline = [f for f in shown if f.errors]
        visible = [f for f in shown if f.field.kind != "hidden"]
        if not inline and error.code == "invalid" and visible:
            visible[0].errors.append(message)  # a missing answer belongs to the first question
            inline = [visible[0]]
        summary = [(f"#{f.id}", m) for f in inline for m in f.errors]
        if not inline:
            summary = [("", message)]
    return render(request, "action_page.html", {
        "page": page, "fields": shown, "summary": summary,
        },
        status=error.http_status if error is not None else 200)


class ActionView(LoginRequiredMixin, View):
    """One action: ``page`` says what the form shows, ``perform`` calls the one service and
    returns where to go next; a ServiceError from either shows the form again."""

    http_method_names = ["get", "post"]

    def page(self, request: HttpRequest, **kwargs: Any) -> Page:
        raise NotImplementedError

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                **kwargs: Any) -> HttpResponse:
        raise NotImplementedError

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return render_page(request, self.page(request, **kwargs), {})

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        values = posted_values(request)
        try:
            return self.perform(request, values, **kwargs)
        except ServiceError as exc:
            return render_page(request, self.page(request, **kwargs), values, exc)
