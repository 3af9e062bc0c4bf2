"""Studio pages for a draft's scenarios: the list with each one's result, deleting one, and
writing one by walking through the draft with the officers' own task forms.

The walk keeps only the answers and events given so far (in the session, per draft); every page
replays them from the start, so nothing of an engine's state is stored between requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from engine import Definition
from engine.scenario_file import FOLDER, SUFFIX, read_all
from engine.scenario_walk import Walk
from webapp.action_pages import ActionView, Page, refusal_message
from webapp.cases.schema_form_post import apply_repeat_actions, parse_post
from webapp.cases.schema_forms import errors_by_name
from webapp.cases.task_page import EMPTY_FORM, form_context
from webapp.errors import ServiceError
from webapp.processes import scenario_services, services
from webapp.processes.models import ProcessDraft

WALK_KEY = "scenario-walk-{}"
MAX_STEPS = 100


def _draft(request: HttpRequest, draft_id: int) -> ProcessDraft:
    try:
        services.policy_lead(request.user)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    draft = ProcessDraft.objects.filter(pk=draft_id).select_related("base").first()
    if draft is None:
        raise Http404("No such draft.")
    return draft


@dataclass
class _Again:
    """The walk page again, with these answers kept and these errors shown."""

    data: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)  # the task form's, by field
    status: int = 200
    summary: list[tuple[str, str]] = field(default_factory=list)  # other refusals: (href, text)
    title_errors: list[str] = field(default_factory=list)


@dataclass
class _Walking:
    """A walk being shown: the draft, its definition, the answers so far and where they led."""

    draft: ProcessDraft
    definition: Definition
    walk: Walk
    walked: dict[str, Any]


def _file_name(stem: str) -> str:
    return f"{FOLDER}{stem}{SUFFIX}"


@login_required
def scenario_list(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    results = {r["file"]: r for r in draft.scenario_results or []}
    titles = {s.file: s.title for s in read_all(draft.file_bytes())}
    rows = [{"file": name, "stem": name.removeprefix(FOLDER).removesuffix(SUFFIX),
             "title": titles.get(name, name), "result": results.get(name)}
            for name in sorted(draft.files) if name.startswith(FOLDER)]
    return render(request, "studio/scenario_list.html", {
        "draft": draft, "rows": rows, "ran": draft.scenario_results is not None,
        "nav": "studio"})


class ScenarioDelete(ActionView):
    def page(self, request: HttpRequest, draft_id: int, stem: str) -> Page:
        draft = _draft(request, draft_id)
        name = _file_name(stem)
        if name not in draft.files:
            raise Http404("No such scenario in the draft.")
        title = next((s.title for s in read_all({name: draft.files[name].encode()})), name)
        return Page(title="Delete the scenario", submit="Delete the scenario", warning=True,
                    back=reverse("studio:scenarios", args=[draft_id]),
                    back_label="Back to the scenarios", details=[("Scenario", title)],
                    intro=["The draft no longer runs this scenario when it is saved. Published "
                           "versions keep theirs."])

    def perform(self, request: HttpRequest, values: Mapping[str, str], draft_id: int,
                stem: str) -> HttpResponse:
        scenario_services.scenario_delete(user=request.user, draft_id=draft_id,
                                          name=_file_name(stem))
        messages.success(request, "Scenario deleted.")
        return redirect("studio:scenarios", draft_id=draft_id)


def _walked(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    stored = request.session.get(WALK_KEY.format(draft_id)) or {}
    return {"steps": [tuple(s) for s in stored.get("steps", [])],
            "events": list(stored.get("events", [])),
            "parameters": dict(stored.get("parameters", {}))}


def _keep(request: HttpRequest, draft_id: int, walked: Mapping[str, Any]) -> None:
    request.session[WALK_KEY.format(draft_id)] = {
        "steps": [list(s) for s in walked["steps"]], "events": list(walked["events"]),
        "parameters": dict(walked["parameters"])}


def _task_form(definition: Definition, walk: Walk) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    task = walk.ready[0]
    schema = definition.form_for(task.form_file) or EMPTY_FORM
    return task, schema, definition.ui_for(task.form_file, task.ui_file) or {}


@login_required
@require_http_methods(["GET", "POST"])
def scenario_walk(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Walk through the draft task by task; at the end, save the walk as a scenario."""
    draft = _draft(request, draft_id)
    walked = _walked(request, draft_id)
    try:
        definition = scenario_services.draft_definition(draft)
    except ServiceError as exc:
        return render(request, "studio/scenario_walk.html", {
            "draft": draft, "blocked": refusal_message(request, exc), "nav": "studio"},
            status=exc.http_status)
    walk = scenario_services.scenario_walk(user=request.user, draft=draft, **walked)
    here = _Walking(draft, definition, walk, walked)
    again = _Again({})
    if request.method == "POST":
        try:
            outcome = _act(request, here, request.POST.get("action", ""))
        except ServiceError as exc:
            title = list(exc.field_errors.get("title", ()))
            again = _Again({}, status=exc.http_status, title_errors=title, summary=[
                ("#scenario-title" if title else "", m)
                for m in (title or [refusal_message(request, exc)])])
        else:
            if isinstance(outcome, HttpResponse):
                return outcome
            again = outcome
    return _walk_page(request, here, again)


def _act(request: HttpRequest, here: _Walking, action: str) -> HttpResponse | _Again:
    """Do what the walk page's button asked."""
    draft = here.draft
    if action == "restart":
        request.session.pop(WALK_KEY.format(draft.pk), None)
        return redirect("studio:scenario_walk", draft_id=draft.pk)
    if action == "save":
        saved, name = scenario_services.scenario_save(
            user=request.user, draft_id=draft.pk, title=request.POST.get("title", "")[:500],
            **here.walked)
        request.session.pop(WALK_KEY.format(draft.pk), None)
        result = next((r for r in saved.scenario_results or [] if r["file"] == name), None)
        verdict = "it passes" if result and result["passed"] else "it does not pass yet"
        messages.success(request, f"Scenario saved: {verdict}.")
        return redirect("studio:scenarios", draft_id=draft.pk)
    if action == "complete":
        return _answer(request, here)
    if action == "settings" and not here.walked["steps"]:
        chosen = {k: v for k, v in request.POST.items() if isinstance(v, str)}
        parameters = scenario_services.walk_parameters(here.definition, chosen)
        _keep(request, draft.pk, {**here.walked, "parameters": parameters})
        return redirect("studio:scenario_walk", draft_id=draft.pk)
    if action in ("message", "timer"):
        return _event(request, here, action)
    raise ServiceError("invalid", "Choose what to do next.")


def _answer(request: HttpRequest, here: _Walking) -> HttpResponse | _Again:
    walk, walked = here.walk, here.walked
    if not walk.ready or request.POST.get("task") != walk.ready[0].bpmn_id:
        raise ServiceError("conflict", "That task is not the one waiting now; answer the task "
                                       "shown.")
    task, schema, _ui = _task_form(here.definition, walk)
    data = parse_post(schema, request.POST)
    changed = apply_repeat_actions(schema, data, request.POST)
    if changed is not None:
        return _Again(changed)
    if len(walked["steps"]) >= MAX_STEPS:
        raise ServiceError("invalid", f"A scenario has at most {MAX_STEPS} steps.")
    steps = [*walked["steps"], (task.bpmn_id, data)]
    after = scenario_services.scenario_walk(user=request.user, draft=here.draft, steps=steps,
                                            events=walked["events"],
                                            parameters=walked["parameters"])
    if after.stopped:
        if after.field_errors:
            return _Again(data, errors_by_name(after.field_errors), 400)
        return _Again(data, {}, 400, summary=[("", after.stopped)])
    _keep(request, here.draft.pk, {**walked, "steps": steps})
    return redirect("studio:scenario_walk", draft_id=here.draft.pk)


def _event(request: HttpRequest, here: _Walking, kind: str) -> HttpResponse:
    walk, walked = here.walk, here.walked
    if not walked["steps"]:
        raise ServiceError("invalid", "Answer the first task before anything else happens.")
    value = request.POST.get(kind, "")
    after_task = walked["steps"][-1][0]
    if kind == "message":
        declared = {m.message for m in here.definition.scheme.messages.values()}
        if value not in walk.messages or value not in declared:
            raise ServiceError("conflict", "The case is not waiting for that now.")
        reason = request.POST.get("reason", "").strip()[:500] or "Scenario"
        event: dict[str, Any] = {"after": after_task, "message": value,
                                 "payload": {"reason": reason}}
    else:
        if value not in {t.bpmn_id for t in walk.timers}:
            raise ServiceError("conflict", "That timer is not waiting now.")
        event = {"after": after_task, "timer": value}
    events = [*walked["events"], event]
    after = scenario_services.scenario_walk(user=request.user, draft=here.draft,
                                            steps=walked["steps"], events=events,
                                            parameters=walked["parameters"])
    if after.stopped:
        raise ServiceError("conflict", after.stopped)
    _keep(request, here.draft.pk, {**walked, "events": events})
    return redirect("studio:scenario_walk", draft_id=here.draft.pk)


def _walk_page(request: HttpRequest, here: _Walking, again: _Again) -> HttpResponse:
    scheme, walk, errors = here.definition.scheme, here.walk, again.errors
    context: dict[str, Any] = {
        "draft": here.draft, "walk": walk, "nav": "studio", "errors": errors,
        "outcomes": [scheme.outcome_label(c) for c in walk.outcome_codes],
        "summary": again.summary, "title_errors": again.title_errors,
        "messages_waiting": [m for m in scheme.messages.values() if m.message in walk.messages],
        "timers": walk.timers, "started": bool(here.walked["steps"]),
        "choices": [(p, here.walked["parameters"].get(p.name, p.default))
                    for p in scheme.parameters.values() if p.type == "choice"],
        "title": request.POST.get("title", ""),
    }
    if walk.ready and not walk.stopped:
        task, schema, ui = _task_form(here.definition, walk)
        context.update(form_context(schema, ui, again.data, errors), task=task,
                       others=walk.ready[1:])
    return render(request, "studio/scenario_walk.html", context, status=again.status)
