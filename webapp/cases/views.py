"""Thin inbox views over services and selectors: render, or call one service and redirect."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from webapp.audit.log import record
from webapp.audit.models import BreakGlassReason, Operation
from webapp.cases import selectors, services
from webapp.cases.access import break_glass, consult, relationship
from webapp.cases.case_filters import CaseQuery
from webapp.cases.case_words import case_row, case_words, labelled_alerts, timeline
from webapp.cases.diagram import diagram_context, main_diagram
from webapp.cases.earlier_steps import task_context
from webapp.cases.inbox_rows import task_rows
from webapp.cases.labelled import flat_rows
from webapp.cases.models import CaseStatus
from webapp.cases.oversight import background_warnings, force_pending_extensions, open_incidents
from webapp.cases.ownership import claimable_on_case, owner_choices
from webapp.cases.schema_form_post import apply_repeat_actions, parse_post
from webapp.cases.schema_forms import errors_by_name
from webapp.cases.task_page import form_context, form_for_task, intake_form, recorded_answers
from webapp.clocks import selectors as clock_selectors
from webapp.downloads import csv_download
from webapp.errors import ServiceError
from webapp.permissions import Action, allows, landing, may_work, member
from webapp.permissions import membership as membership_or_none
from webapp.processes.deployments import scheme_choices, scheme_titles
from webapp.processes.registry import scheme_for
from webapp.refusals import refused

log = logging.getLogger(__name__)


def _membership(request: HttpRequest) -> Any:
    try:
        return member(request.user)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _scheme_filter(request: HttpRequest, membership: Any) -> dict[str, Any]:
    """The force's schemes (process id -> short title) and the one chosen in ``?scheme=``."""
    titles = scheme_titles(membership.force_id)
    chosen = request.GET.get("scheme", "")[:100]
    return {"schemes": titles, "scheme": chosen if chosen in titles else ""}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """"/" and the page after signing in: where the user's role does its work."""
    return redirect(landing(membership_or_none(request.user)))


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    filt = _scheme_filter(request, membership)
    rows = task_rows(selectors.my_tasks(membership, filt["scheme"])[: selectors.PAGE],
                     filt["schemes"])
    return render(request, "cases/my_tasks.html", {"rows": rows, "nav": "mine", **filt})


@login_required
def team_queue(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    filt = _scheme_filter(request, membership)
    rows = task_rows(selectors.queue_page(membership, scheme=filt["scheme"]), filt["schemes"])
    extra = {}
    if allows(membership, Action.ACKNOWLEDGE_ALERTS):
        alerts = labelled_alerts(clock_selectors.open_alerts(membership))
        extra = {"background_warnings": background_warnings(membership),
                 "risk_alerts": [a for a in alerts if a.kind == "risk"],
                 "alerts": [a for a in alerts if a.kind != "risk"],
                 "incidents": list(open_incidents(membership)),
                 "extensions": list(force_pending_extensions(membership))}
    return render(request, "cases/queue.html", {"rows": rows, "nav": "queue", **filt, **extra})


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    filt = _scheme_filter(request, membership)
    query = CaseQuery.from_get(request.GET, filt["scheme"])
    page = Paginator(selectors.cases(membership, query=query), 25)
    shown = page.get_page(request.GET.get("page"))
    if shown.object_list:
        record(actor=request.user, operation=Operation.CONSULT, object_type="case search",
               object_id=f"page {shown.number}",
               fields=[c.reference for c in shown.object_list],
               justification="case search results (names shown)")
    shown.object_list = [case_row(case, membership.roles) for case in shown.object_list]
    links = query.link_query()
    return render(request, "cases/case_list.html", {
        "page": shown, "q": query.text, "status": query.status, "stage": query.stage,
        "statuses": CaseStatus.choices, "link_filters": links,
        "link_words": query.words(membership.force_id), "link_query": urlencode(links),
        "stages": selectors.stages(membership, filt["scheme"]), "nav": "cases", **filt,
    })


@login_required
@require_POST
def task_claim(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        task = services.task_claim(user=request.user, task_id=task_id)
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, f"You have claimed '{task.name}' on {task.case.reference}.")
    return redirect("cases:task", task_id=task.pk)


@login_required
@require_POST
def task_release(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        task = services.task_release(user=request.user, task_id=task_id)
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, f"'{task.name}' is back in the team queue.")
    return redirect("cases:queue")


@login_required
@require_POST
def task_assign(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        assignee = int(request.POST.get("assignee", ""))
        task = services.task_assign(user=request.user, task_id=task_id, assignee_id=assignee)
    except ValueError:
        return refused(request, ServiceError("invalid", "Choose an officer to assign to."))
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, f"'{task.name}' assigned to {task.assignee.get_username()}.")
    return redirect("cases:task", task_id=task.pk)


@login_required
@require_http_methods(["GET", "POST"])
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    membership = _membership(request)
    task = selectors.task_detail(membership, task_id)
    if task is None:
        raise Http404("No such task in your force.")
    try:
        consult(request.user, task.case, what="task")
    except ServiceError:
        return _break_glass_page(request, task.case)
    schema, ui = form_for_task(task)
    earlier = task_context(task, membership.roles)
    data = task.draft or (earlier["back"].previous if earlier["back"] else {})
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data = parse_post(schema, request.POST)
        changed = apply_repeat_actions(schema, data, request.POST)
        try:
            if changed is not None:
                data = changed
            elif request.POST.get("action") == "draft":
                services.task_save_draft(user=request.user, task_id=task.pk, data=data)
                messages.success(request, "Draft saved. Nothing has been submitted yet.")
                return redirect("cases:task", task_id=task.pk)
            else:
                case = services.task_complete(user=request.user, task_id=task.pk, data=data)
                messages.success(request, f"'{task.name}' completed on {case.reference}.")
                return redirect("cases:case", reference=case.reference)
        except ServiceError as exc:
            if exc.code != "invalid":
                return refused(request, exc)
            errors, status = errors_by_name(exc.field_errors), exc.http_status
    return render(request, "cases/task.html", {
        **form_context(schema, ui, data, errors), "task": task, "case": task.case, **earlier,
        **case_words(task.case, membership.roles),
        "recorded": recorded_answers(task, schema, membership.roles),
        "claim_all": (claimable_on_case(membership, task.case_id)
                      if task.state == "ready" else []),
        "may_work": may_work(membership, task.role),
        "colleagues": (selectors.colleagues(membership, task.role)
                       if allows(membership, Action.ASSIGN) else []),
        "nav": "mine",
    }, status=status)


@login_required
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    membership = _membership(request)
    case = selectors.case_detail(membership, reference)
    if case is None:
        raise Http404("No such case in your force.")
    try:
        consult(request.user, case, fields=("parties", "timeline", "recorded information"))
    except ServiceError:
        return _break_glass_page(request, case)
    events = timeline(case, selectors.case_events(case), membership.roles)
    return render(request, "cases/case.html", {
        "case": case, "events": events, **case_words(case, membership.roles),
        "tasks": list(selectors.case_open_tasks(case)),
        "clocks": clock_selectors.case_clocks(case),
        "extensions": list(clock_selectors.pending_extensions(case)),
        "is_decision_maker": allows(membership, Action.DECIDE_EXTENSIONS),
        "may_manage_clocks": allows(membership, Action.MANAGE_CLOCKS),
        "completed": [e for e in events if e.data],
        "owner_choices": owner_choices(membership, case),
        **diagram_context(case), "nav": "cases",
    })


@login_required
def case_answers_csv(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's recorded answers as a spreadsheet: the forms' questions and choice labels."""
    membership = _membership(request)
    case = selectors.case_detail(membership, reference)
    if case is None:
        raise Http404("No such case in your force.")
    try:
        consult(request.user, case, fields=("recorded information (CSV)",))
    except ServiceError:
        return _break_glass_page(request, case)
    events = [e for e in timeline(case, selectors.case_events(case), membership.roles) if e.data]
    rows = [(e.task_name, timezone.localtime(e.at).strftime("%-d %B %Y, %H:%M"), question,
             answer) for e in events for question, answer in flat_rows(e.rows)]
    return csv_download(f"{case.reference}-answers.csv",
                        ("Task", "Recorded", "Question", "Answer"), rows)


def _break_glass_page(request: HttpRequest, case: Any, *, error: ServiceError | None = None
                      ) -> HttpResponse:
    """The break-glass form (403); again with the refusal and the entries when one was given."""
    return render(request, "audit/break_glass.html", {
        "case": case, "reasons": BreakGlassReason.choices, "error": error,
        "reason_code": request.POST.get("reason_code", ""),
        "reason": request.POST.get("reason", "")[:500],
    }, status=error.http_status if error is not None else 403)


@login_required
@require_POST
def case_break_glass(request: HttpRequest, reference: str) -> HttpResponse:
    membership = _membership(request)
    case = selectors.case_detail(membership, reference)
    if case is None:
        raise Http404("No such case in your force.")
    try:
        break_glass(user=request.user, case=case,
                    reason_code=request.POST.get("reason_code", ""),
                    reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        if exc.code != "invalid":
            return refused(request, exc)
        return _break_glass_page(request, case, error=exc)
    messages.warning(request, "Break-glass access recorded for 8 hours; an auditor will "
                              "review it.")
    return redirect("cases:case", reference=reference)


@login_required
def case_diagram(request: HttpRequest, reference: str) -> HttpResponse:
    membership = _membership(request)
    case = selectors.case_detail(membership, reference)
    if case is None:
        raise Http404("No such case in your force.")
    if relationship(membership, case) is None:
        raise Http404("No such case in your force.")
    return HttpResponse(main_diagram(case), content_type="application/xml; charset=utf-8")


@login_required
@require_POST
def case_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        case = services.case_withdraw(user=request.user, reference=reference,
                                      reason=request.POST.get("reason", "")[:500])
    except ServiceError as exc:
        return refused(request, exc)
    message = scheme_for(case.version_id).message("withdraw")
    messages.success(request, f"{case.reference}: {message.event if message else 'done'}.")
    return redirect("cases:case", reference=case.reference)


@login_required
@require_http_methods(["GET", "POST"])
def start_enquiry(request: HttpRequest) -> HttpResponse:
    """Choose a scheme (when the force runs several), then record its intake form."""
    membership = _membership(request)
    choices = scheme_choices(membership.force_id)
    scheme = (request.POST.get("scheme") or request.GET.get("scheme") or "")[:100]
    if not scheme and len(choices) == 1:
        scheme = choices[0][0]
    if not scheme and len(choices) > 1:
        return render(request, "cases/start_choose.html", {
            "choices": [(key, s) for key, s in choices], "nav": "start"})
    try:
        schema, ui, instructions = intake_form(membership, scheme)
    except ServiceError as exc:
        return refused(request, exc)
    declared = dict(choices).get(scheme)
    noun = (declared.case_noun if declared else "") or "case"
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data = parse_post(schema, request.POST)
        changed = apply_repeat_actions(schema, data, request.POST)
        if changed is not None:
            data = changed
        elif request.POST.get("action") == "draft":
            messages.info(request, f"Nothing has been recorded yet: choose 'Record {noun}' "
                                   "when the form is complete.")
        else:
            try:
                case = services.case_start(user=request.user, data=data, scheme=scheme)
            except ServiceError as exc:
                if exc.code != "invalid":
                    return refused(request, exc)
                errors, status = errors_by_name(exc.field_errors), exc.http_status
            else:
                messages.success(request, f"{noun.capitalize()} recorded as {case.reference}.")
                return redirect("cases:case", reference=case.reference)
    return render(request, "cases/start.html", {
        **form_context(schema, ui, data, errors), "nav": "start", "scheme": scheme,
        "declared": declared, "noun": noun, "several": len(choices) > 1,
        "instructions": instructions}, status=status)
