"""The studio's form builder: a draft's forms as questions, previewed with the officer's renderer
and saved as JSON Schema and UI schema through the draft's usual save and check."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from engine import check_files
from webapp.action_pages import ActionView, Field, Page
from webapp.api.parsers import MAX_DEPTH, nesting_depth
from webapp.cases.schema_forms import render_fields
from webapp.errors import ServiceError
from webapp.processes import services
from webapp.processes.form_builder_schema import form_schema
from webapp.processes.form_model import TYPES, FormModelError, form_model
from webapp.processes.lanes import WORK_ROLES
from webapp.processes.models import ProcessDraft

log = logging.getLogger(__name__)
SCHEMA, UI = ".schema.json", ".ui.json"
FORM_KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
NO_TITLE = "Enter the title of the form"
NOT_A_NAME = ("The file name must start with a letter and use only small letters, digits and "
              "underscores, like home_visit")
NOT_READ = ("The builder's form could not be read. Reload the page; your last saved form is "
            "kept.")


def _draft(request: HttpRequest, draft_id: int) -> ProcessDraft:
    try:
        services.policy_lead(request.user)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    draft = ProcessDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        raise Http404("No such draft.")
    return draft


def _names(key: str) -> tuple[str, str]:
    return f"forms/{key}{SCHEMA}", f"forms/{key}{UI}"


def _keys(draft: ProcessDraft) -> list[str]:
    return sorted(n.removeprefix("forms/").removesuffix(SCHEMA) for n in draft.files
                  if n.startswith("forms/") and n.endswith(SCHEMA) and n.count("/") == 1)


def _titled(draft: ProcessDraft) -> list[tuple[str, str]]:
    """(key, title) of each form of the draft, by title: forms are known by their words."""
    found = []
    for key in _keys(draft):
        try:
            doc = json.loads(draft.files[_names(key)[0]])
        except (ValueError, RecursionError):
            doc = None
        title = doc.get("title") if isinstance(doc, dict) else None
        found.append((key, str(title) if title else key))
    return sorted(found, key=lambda pair: pair[1].lower())


def _loaded(draft: ProcessDraft, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    schema_name, ui_name = _names(key)
    if schema_name not in draft.files:
        raise Http404("The draft has no such form.")
    try:
        schema = json.loads(draft.files[schema_name])
        ui = json.loads(draft.files.get(ui_name) or "{}")
    except (ValueError, RecursionError) as exc:
        raise Http404("This form is not JSON the builder can read; edit it as text on the "
                      "draft page.") from exc
    if not isinstance(schema, dict):
        raise Http404("This form is not a JSON Schema object; edit it as text on the draft page.")
    return schema, ui if isinstance(ui, dict) else {}


def _preview(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    """The form as an officer sees it on a task page (the same renderer and templates)."""
    fields = render_fields(schema, None, {}, ui, id_prefix="preview")
    return render_to_string("studio/form_preview.html", {
        "fields": fields, "form_title": schema.get("title", ""),
        "form_description": schema.get("description", "")})


def _form_problems(draft: ProcessDraft, key: str) -> list[dict[str, Any]]:
    names = _names(key)
    return [p for p in draft.problems if p.get("file") in names]


@login_required
def form_builder(request: HttpRequest, draft_id: int, key: str = "") -> HttpResponse:
    draft = _draft(request, draft_id)
    context: dict[str, Any] = {"draft": draft, "forms": _titled(draft), "key": key,
                               "types": TYPES, "nav": "studio"}
    if key:
        schema, ui = _loaded(draft, key)
        context.update(model=form_model(schema, ui), problems=[
            _plain(p, schema) for p in _form_problems(draft, key)])
        try:
            context["preview"] = _preview(schema, ui)
        except ValueError as exc:
            context["preview_error"] = str(exc)
    return render(request, "studio/form_builder.html", context)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError) as exc:
        raise FormModelError(NOT_READ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("form"), dict) or nesting_depth(
            body) > MAX_DEPTH:
        raise FormModelError(NOT_READ)
    return body


@login_required
@require_POST
def form_preview(request: HttpRequest, draft_id: int, key: str) -> JsonResponse:
    """The builder's form (JSON in) rendered as the officer will see it (HTML out)."""
    _draft(request, draft_id)
    try:
        schema, ui = form_schema(_body(request)["form"])
        return JsonResponse({"html": _preview(schema, ui)})
    except ValueError as exc:  # FormModelError, or a form the renderer refuses
        return JsonResponse({"detail": str(exc)}, status=400)


def _question_words(schema: Any, pointer: str) -> str:
    """The questions a JSON pointer into the form or its UI schema lands in, by their words."""
    node, words = schema, []
    for part in pointer.strip("/").split("/"):
        props = node.get("properties") if isinstance(node, Mapping) else None
        if part == "properties" and isinstance(props, Mapping):
            continue
        if part == "items" and isinstance(node, Mapping) and isinstance(node.get("items"),
                                                                        Mapping):
            node = node["items"]
        elif isinstance(props, Mapping) and isinstance(props.get(part), Mapping):
            node = props[part]
            words.append(f"‘{node.get('title') or part}’")
        else:
            break
    return " › ".join(words)


def _plain(problem: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A problem named by the question it is about rather than by a JSON pointer."""
    message, pointer = str(problem.get("message", "")), problem.get("element_id") or ""
    if message.startswith("/") and ": " in message:
        pointer, message = message.split(": ", 1)
    words = _question_words(schema, pointer) if pointer.startswith("/") else ""
    return {"file": problem.get("file"), "line": problem.get("line"),
            "message": f"{words}: {message}" if words else message}


def _refusals(draft: ProcessDraft, schema: Mapping[str, Any],
              texts: Mapping[str, str]) -> list[dict[str, Any]]:
    """The engine's errors in this form's files, as the save would record them."""
    files = {n: t.encode() for n, t in {**draft.files, **texts}.items()}
    return [_plain(asdict(p), schema)
            for p in check_files(files, draft.process_id, roles=WORK_ROLES)
            if p.file in texts and p.severity == "error"]


@login_required
@require_POST
def form_save(request: HttpRequest, draft_id: int, key: str) -> JsonResponse:
    """Save the builder's form into the draft as JSON Schema and UI schema, checked as every
    save is; a form with errors is refused and the draft keeps its last saved form."""
    draft = _draft(request, draft_id)
    _loaded(draft, key)
    try:
        body = _body(request)
        schema, ui = form_schema(body["form"])
    except FormModelError as exc:
        return JsonResponse({"detail": str(exc), "problems": []}, status=400)
    schema_name, ui_name = _names(key)
    texts = {schema_name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
             ui_name: json.dumps(ui, indent=2, ensure_ascii=False) + "\n"}
    refused = _refusals(draft, schema, texts)
    if refused:
        log.info("form builder save refused: draft=%s form=%s errors=%s", draft.pk, key,
                 len(refused))
        return JsonResponse({"detail": "The form was not saved: fix the problems below.",
                             "problems": refused}, status=400)
    try:
        saved = services.draft_save(user=request.user, draft_id=draft_id, files=texts,
                                    if_saved_at=body.get("if_saved_at"))
    except ServiceError as exc:
        return JsonResponse({"detail": exc.message, "problems": []}, status=exc.http_status)
    return JsonResponse({"problems": [_plain(p, schema) for p in _form_problems(saved, key)],
                         "error_count":
                         saved.error_count, "saved_at": saved.updated_at.isoformat()})


def _new_key(title: str, given: str) -> str:
    if given:
        return given
    words = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60].rstrip("_")
    return words if words[:1].isalpha() else f"form_{words}".rstrip("_")


class FormNew(ActionView):
    """Start a new form in a draft: a title, then its questions in the builder."""

    def page(self, request: HttpRequest, draft_id: int) -> Page:
        draft = _draft(request, draft_id)
        return Page(title="Start a new form", submit="Start the form",
                    back=reverse("studio:form_builder_index", args=[draft_id]),
                    back_label="Back to the forms of this draft",
                    details=[("Draft", draft.title or f"Draft {draft.pk}")],
                    intro=["A user task in the diagram then names the form in its properties."],
                    fields=[Field("title", "Title of the form", max_length=200,
                                  hint="What the officer does, like ‘Record the home visit’"),
                            Field("key", "File name (optional)", max_length=60,
                                  hint="Made from the title if you leave it empty.")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                draft_id: int) -> HttpResponse:
        draft = _draft(request, draft_id)
        title = values.get("title", "").strip()
        if not title:
            raise ServiceError("invalid", NO_TITLE, field_errors={"title": [NO_TITLE]})
        key = _new_key(title, values.get("key", "").strip())
        if not FORM_KEY.fullmatch(key) or key == "new":  # "new" is this page's address
            raise ServiceError("invalid", NOT_A_NAME, field_errors={"key": [NOT_A_NAME]})
        if key in _keys(draft):
            taken = f"The draft already has a form called {key}; choose another file name"
            raise ServiceError("invalid", taken, field_errors={"key": [taken]})
        schema, ui = form_schema({"title": title, "fields": []})
        schema_name, ui_name = _names(key)
        services.draft_save(user=request.user, draft_id=draft_id, files={
            schema_name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
            ui_name: json.dumps(ui, indent=2, ensure_ascii=False) + "\n"})
        return redirect("studio:form_builder", draft_id=draft_id, key=key)
