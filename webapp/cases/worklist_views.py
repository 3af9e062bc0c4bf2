"""The worklist pages: My tasks and the Team queue with filters, sort, pages and saved views;
claiming or assigning the ticked tasks of the queue; each officer's workload for supervisors.

A page's POST (save or delete a view, claim or assign the ticked tasks) goes to the page's own
address with its query string, and comes back to the same filtered page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render

from webapp.action_pages import refusal_message
from webapp.cases import selectors
from webapp.cases.action_views import request_membership
from webapp.cases.bulk_actions import assign_selected, claim_selected
from webapp.cases.case_words import display_name, labelled_alerts
from webapp.cases.inbox_rows import task_rows
from webapp.cases.oversight import background_warnings, force_pending_extensions, open_incidents
from webapp.cases.row_tables import rendered_rows
from webapp.cases.saved_views import view_delete, view_save, views_for
from webapp.cases.worklist import (
    DUE_WORDS,
    MAX_PAGES,
    PAGE,
    RISK_WORDS,
    SORTS,
    WorkQuery,
    sort_headers,
)
from webapp.cases.worklist_models import WorklistPage
from webapp.cases.workload import workloads
from webapp.clocks import selectors as clock_selectors
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.permissions import Action, allows
from webapp.processes.deployments import read_with_force, scheme_titles


def _query(request: HttpRequest, membership: Membership,
           officers: list[Membership]) -> tuple[WorkQuery, dict[str, Any]]:
    deployments = read_with_force(membership)  # with the force the layout names
    schemes = scheme_titles(membership.force_id, deployments)
    chosen = request.GET.get("scheme", "")
    stages = [s for s in selectors.stages(membership, chosen if chosen in schemes else "",
                                          deployments)
              if s != "Closed"]
    assignees = {str(m.user_id): display_name(m.user) for m in officers}
    query = WorkQuery.from_get(request.GET, schemes=schemes, stages=stages, assignees=assignees)
    return query, {
        "query": query, "schemes": schemes, "scheme": query.scheme, "stages": stages,
        "assignees": assignees, "sorts": {k: words for k, (words, _) in SORTS.items()},
        "due_words": DUE_WORDS, "risk_words": RISK_WORDS, **sort_headers(query),
        "filter_words": query.words(schemes=schemes, assignees=assignees),
    }


def _paged(query: WorkQuery, found: list[Any]) -> dict[str, Any]:
    """The page's rows (one more was read to know whether a next page exists)."""
    more = len(found) > PAGE
    return {"tasks": found[:PAGE],
            "previous_link": query.link(page=query.page - 1) if query.page > 1 else "",
            "next_link": (query.link(page=query.page + 1)
                          if more and query.page < MAX_PAGES else ""),
            "last_page": more and query.page >= MAX_PAGES}


def _post(request: HttpRequest, membership: Membership, page: str,
          query: WorkQuery) -> HttpResponse | dict[str, Any]:
    """A form of the page: a redirect back to the same list, or the errors to show on it."""
    action = request.POST.get("action", "")
    back = f"{request.path}{query.link()}"
    try:
        if action == "save-view":
            view = view_save(membership=membership, page=page,
                             name=request.POST.get("view_name", "")[:200],
                             query=urlencode(query.params(page=1)),
                             shared=request.POST.get("shared") == "yes")
            messages.success(request, f"View '{view.name}' saved"
                                      f"{' and shared with your team' if view.shared else ''}.")
        elif action == "delete-view":
            view = view_delete(membership=membership,
                               view_id=_int(request.POST.get("view", "")))
            messages.success(request, f"View '{view.name}' deleted.")
        elif action == "claim" and page == WorklistPage.QUEUE:
            claim_selected(request, request.POST.getlist("task"))
        elif action == "assign" and page == WorklistPage.QUEUE:
            assign_selected(request, request.POST.getlist("task"),
                            request.POST.get("assignee", ""))
        else:
            raise Http404("No such action on this page.")
    except ServiceError as exc:
        return {"post_error": refusal_message(request, exc), "error_status": exc.http_status,
                "field_errors": exc.field_errors,
                "view_name": request.POST.get("view_name", "")[:200]}
    return redirect(back)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _saved(membership: Membership, page: str, query: WorkQuery) -> list[dict[str, Any]]:
    current = urlencode(query.params(page=1))
    return [{**v, "mine": v["owner_id"] == membership.user_id, "link": f"?{v['query']}",
             "current": v["query"] == current}
            for v in views_for(membership, page)]


def _render(request: HttpRequest, template: str, page: str, context: dict[str, Any], *,
            posted: dict[str, Any] | None, membership: Membership,
            table: dict[str, bool] | None = None) -> HttpResponse:
    """``table``: the task table's columns beyond the task's own (``select``, ``claim``,
    ``reassign``: row_templates/task_rows.html)."""
    context = {**context, **(posted or {}),
               "saved_views": _saved(membership, page, context["query"])}
    context["rows"] = task_rows(context.pop("tasks"), context["schemes"])
    table = {"select": False, "claim": False, "reassign": False, **(table or {})}
    csrf = get_token(request) if table["claim"] else ""
    context["rows_html"] = rendered_rows("task_rows.html", rows=context["rows"], **table,
                                         csrf_token=csrf)
    return render(request, template, context,
                  status=(posted or {}).get("error_status", 200))


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    query, context = _query(request, membership, [])
    posted = None
    if request.method == "POST":
        answer = _post(request, membership, WorklistPage.MINE, query)
        if isinstance(answer, HttpResponse):
            return answer
        posted = answer
    found = list(selectors.my_tasks(membership, query=query)[query.offset:
                                                               query.offset + PAGE + 1])
    return _render(request, "cases/my_tasks.html", WorklistPage.MINE,
                   {**context, **_paged(query, found), "nav": "mine"},
                   posted=posted, membership=membership)


@login_required
def team_queue(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    supervisor = allows(membership, Action.ASSIGN)
    officers = selectors.team_officers(membership) if supervisor else []
    query, context = _query(request, membership, officers)
    posted = None
    if request.method == "POST":
        answer = _post(request, membership, WorklistPage.QUEUE, query)
        if isinstance(answer, HttpResponse):
            return answer
        posted = answer
    if query.assignee:
        found = selectors.assigned_page(membership, int(query.assignee), query,
                                        PAGE + 1, query.offset)
    else:
        found = selectors.queue_page(membership, PAGE + 1, query=query, offset=query.offset)
    extra: dict[str, Any] = {"supervisor": supervisor, "officers": context["assignees"],
                             "assignee_name": context["assignees"].get(query.assignee, "")}
    if allows(membership, Action.ACKNOWLEDGE_ALERTS):
        alerts = labelled_alerts(clock_selectors.open_alerts(membership))
        extra |= {"background_warnings": background_warnings(membership),
                  "risk_alerts": [a for a in alerts if a.kind == "risk"],
                  "alerts": [a for a in alerts if a.kind != "risk"],
                  "incidents": list(open_incidents(membership)),
                  "extensions": list(force_pending_extensions(membership))}
    table = {"reassign": True} if query.assignee else {"claim": True, "select": True}
    return _render(request, "cases/queue.html", WorklistPage.QUEUE,
                   {**context, **_paged(query, found), **extra, "nav": "queue"},
                   posted=posted, membership=membership, table=table)


@login_required
def workload(request: HttpRequest) -> HttpResponse:
    """Each officer of the supervisor's team with their open, overdue and at-risk tasks, each
    count linking to the team queue filtered to them."""
    membership = request_membership(request)
    if not allows(membership, Action.SUPERVISE):
        raise Http404("The workload page is for decision makers.")
    rows = workloads(membership, selectors.team_officers(membership))
    return render(request, "cases/workload.html", {
        "rows": rows, "team": membership.team, "nav": "workload"})
