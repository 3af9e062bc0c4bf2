"""Thin inbox views over services and selectors: render, or call one service and redirect."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from webapp.accounts.session_clock import seconds_left
from webapp.action_pages import refusal_message
from webapp.audit.log import append, record
from webapp.audit.models import BreakGlassReason, Operation
from webapp.cases import drafts, selectors, services
from webapp.cases.access import break_glass, consult, consult_entry, may_act, relationship
from webapp.cases.case_filters import NOT_STARTED, CaseQuery
from webapp.cases.case_list_rows import case_cells, outside_cells
from webapp.cases.case_rows import case_rows
from webapp.cases.case_words import case_href, case_words, timeline
from webapp.cases.diagram import diagram_context, main_diagram
from webapp.cases.earlier_steps import task_context
from webapp.cases.evidence_views import evidence_context, with_notes
from webapp.cases.labelled import flat_rows
from webapp.cases.letters import offered_letters
from webapp.cases.linked_cases import combination_entries, linked_cases
from webapp.cases.models import CaseStatus
from webapp.cases.ownership import claimable_on_case, owner_choices
from webapp.cases.row_tables import rendered_rows
from webapp.cases.schema_form_post import apply_repeat_actions, parse_post
from webapp.cases.schema_forms import errors_by_name
from webapp.cases.task_page import form_context, form_for_task, intake_form, recorded_answers
from webapp.clocks import selectors as clock_selectors
from webapp.downloads import csv_download
from webapp.errors import ServiceError
from webapp.keyset import keyset_page
from webapp.permissions import Action, allows, is_national_admin, landing, may_work, member
from webapp.permissions import membership as membership_or_none
from webapp.processes.deployments import read_with_force, scheme_choices, scheme_titles

log = logging.getLogger(__name__)

CASES_PAGE = 25
GENERAL = "_form"  # the errors key of a refusal that is not about one field


def _membership(request: HttpRequest) -> Any:
    try:
        return member(request.user)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _scheme_filter(request: HttpRequest, membership: Any,
                   deployments: list[Any] | None = None) -> dict[str, Any]:
    """The force's schemes (process id -> short title) and the one chosen in ``?scheme=``."""
    titles = scheme_titles(membership.force_id, deployments)
    chosen = request.GET.get("scheme", "")[:100]
    return {"schemes": titles, "scheme": chosen if chosen in titles else ""}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """"/" and the page after signing in: where the user's role does its work."""
    return redirect(landing(membership_or_none(request.user),
                            national=is_national_admin(request.user)))


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    deployments = read_with_force(membership)  # titles and stages, with the force's row
    filt = _scheme_filter(request, membership, deployments)
    query = CaseQuery.from_get(request.GET, filt["scheme"])
    links = query.link_query()
    keep = {"q": query.text, "status": query.status, "stage": query.stage,
            "scheme": filt["scheme"], **links}
    # newest first by an index, Previous/Next from the rows shown: no COUNT over need-to-know
    shown = keyset_page(selectors.cases(membership, query=query, others=True), request.GET,
                        key="opened_at", size=CASES_PAGE, keep={k: v for k, v in keep.items() if v})
    seen = [c for c in shown.rows if getattr(c, "shown", True)]
    if seen:
        record(actor=request.user, operation=Operation.CONSULT, object_type="case search",
               object_id=f"page {shown.number}", fields=[c.reference for c in seen],
               justification="case search results (names shown)")
    # a case outside the user's relationships: only that it exists, and the break-glass route
    href = case_href()
    rows = [case_cells(case, membership.roles, href(case.reference), filt["schemes"])
            if getattr(case, "shown", True) else outside_cells(href(case.reference))
            for case in shown.rows]
    return render(request, "cases/case_list.html", {
        "page": shown, "rows_html": rendered_rows("case_rows.html", rows=rows),
        "q": query.text, "status": query.status, "stage": query.stage,
        "statuses": CaseStatus.choices, "link_filters": links,
        "link_words": query.words(membership.force_id), "link_query": urlencode(links),
        "stages": selectors.stages(membership, filt["scheme"], deployments),
        "not_started": NOT_STARTED,
        "nav": "cases", **filt,
    })


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
            errors, status = _form_errors(request, exc), exc.http_status
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
        why = may_act(request.user, case)
    except ServiceError:
        return _break_glass_page(request, case)
    linked = linked_cases(membership, case)
    # the consultation and the linked cases shown (s.62): one statement, before the page
    append([consult_entry(request.user, case, why=why,
                          fields=("parties", "timeline", "recorded information")),
            *combination_entries(request.user, case, linked, why)])
    rows = case_rows(case)  # events, notes, documents, tasks, clocks: one statement
    events = timeline(case, rows.events, membership.roles)
    clocks = clock_selectors.clock_views(case, rows.clocks, rows.pauses)
    return render(request, "cases/case.html", {
        "case": case, "events": with_notes(events, rows.attachments, rows.notes),
        **case_words(case, membership.roles),
        **evidence_context(request, case, membership, rows.attachments),
        "letters": offered_letters(case),
        "tasks": rows.open_tasks,
        "clocks": clocks,
        "extensions": clock_selectors.labelled_extensions(rows.extensions, clocks),
        "is_decision_maker": allows(membership, Action.DECIDE_EXTENSIONS),
        "may_manage_clocks": allows(membership, Action.MANAGE_CLOCKS),
        "completed": [e for e in events if e.data],
        "owner_choices": owner_choices(membership, case), "linked": linked,
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


def _form_errors(request: HttpRequest, exc: ServiceError) -> dict[str, list[str]]:
    """A refused form's errors by field; a refusal of the whole step (someone else completed
    the task, the process failed) is a general line of the same summary, above the kept values."""
    if exc.code == "invalid" and exc.field_errors:
        return errors_by_name(exc.field_errors)
    return {GENERAL: [refusal_message(request, exc)]}


def _break_glass_page(request: HttpRequest, case: Any, *, error: ServiceError | None = None
                      ) -> HttpResponse:
    """The break-glass form (403); again with the refusal and the entries when one was given."""
    field_errors = error.field_errors if error is not None else {}
    return render(request, "audit/break_glass.html", {
        "case": case, "reasons": BreakGlassReason.choices, "error": error,
        "error_message": refusal_message(request, error) if error is not None else "",
        "reason_code_errors": field_errors.get("reason_code", []),
        "reason_errors": field_errors.get("reason", []),
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
@require_http_methods(["GET", "POST"])
def start_enquiry(request: HttpRequest) -> HttpResponse:
    """Choose a scheme (when the force runs several), then record its intake form."""
    membership = _membership(request)
    choices = scheme_choices(membership.force_id, taking_cases=True)
    scheme = (request.POST.get("scheme") or request.GET.get("scheme") or "")[:100]
    if not scheme and len(choices) == 1:
        scheme = choices[0][0]
    if not scheme and len(choices) > 1:
        return render(request, "cases/start_choose.html", {
            "choices": [(key, s) for key, s in choices], "nav": "start",
            "recent_cases": selectors.recorded_recently(membership)})
    try:
        schema, ui, instructions = intake_form(membership, scheme)
    except ServiceError as exc:
        return render(request, "cases/start_choose.html", {
            "choices": [(key, s) for key, s in choices], "nav": "start",
            "error": refusal_message(request, exc),
            "recent_cases": selectors.recorded_recently(membership)}, status=exc.http_status)
    declared = dict(choices).get(scheme)
    noun = (declared.case_noun if declared else "") or "case"
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    draft = None if request.method == "POST" else drafts.draft_for(user=request.user,
                                                                     scheme=scheme)
    if draft is not None:
        data = draft.data
    if request.method == "POST":
        data = parse_post(schema, request.POST)
        changed = apply_repeat_actions(schema, data, request.POST)
        action = request.POST.get("action")
        if changed is not None:
            data = changed
        elif action in ("draft", "discard"):
            if action == "draft":
                drafts.draft_save(user=request.user, scheme=scheme, data=data)
                messages.success(request, f"Draft saved. Nothing has been recorded yet: choose "
                                          f"'Record {noun}' when the form is complete.")
            else:
                drafts.draft_discard(user=request.user, scheme=scheme)
                messages.info(request, "Draft deleted.")
            return redirect(f"{reverse('cases:start')}?{urlencode({'scheme': scheme})}")
        else:
            try:
                case = services.case_start(user=request.user, data=data, scheme=scheme)
            except ServiceError as exc:
                errors, status = _form_errors(request, exc), exc.http_status
            else:
                messages.success(request, f"{noun.capitalize()} recorded as {case.reference}.")
                return redirect("cases:case", reference=case.reference)
    return render(request, "cases/start.html", {
        **form_context(schema, ui, data, errors), "nav": "start", "scheme": scheme,
        "declared": declared, "noun": noun, "several": len(choices) > 1,
        "instructions": instructions, "draft": draft,
        "recent_cases": selectors.recorded_recently(membership)}, status=status)


@login_required
@require_POST
def enquiry_draft(request: HttpRequest) -> JsonResponse:
    """The start form's autosave (the page posts the whole form): keeps it as the draft."""
    membership = _membership(request)
    scheme = request.POST.get("scheme", "")[:100]
    try:
        schema, _, _ = intake_form(membership, scheme)
    except ServiceError as exc:
        return JsonResponse({"code": exc.code, "detail": exc.message}, status=exc.http_status)
    data = parse_post(schema, request.POST)
    try:
        draft = drafts.draft_save(user=request.user, scheme=scheme, data=data)
    except ValueError:
        return JsonResponse({"code": "invalid", "detail": "The draft is too large."}, status=400)
    saved = timezone.localtime(draft.updated_at).strftime("%H:%M")
    return JsonResponse({"saved_at": draft.updated_at.isoformat(),
                         "message": f"Draft saved at {saved}.",
                         "seconds_left": seconds_left(request.session,
                                                      timezone.now().timestamp())})
