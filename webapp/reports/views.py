"""The dashboard page and the returns page, and the same figures as CSV."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from webapp.cases.oversight import background_warnings
from webapp.downloads import csv_download
from webapp.forces.models import Force
from webapp.permissions import Action, allows, is_national_admin
from webapp.processes.deployments import scheme_titles
from webapp.reports.return_period import PeriodForm, read_period
from webapp.reports.returns import Scope, last_financial_year, scheme_returns, schemes_in
from webapp.reports.selectors import cases_link, figures, headlines, open_at_risk

logger = logging.getLogger(__name__)


def _force(request: HttpRequest) -> Force:
    membership = getattr(request.user, "membership", None)
    if not allows(membership, Action.SEE_DASHBOARD):
        raise Http404("The dashboard is for decision makers and policy leads.")
    return membership.force


def _scheme(request: HttpRequest, force: Force) -> tuple[dict[str, str], str]:
    """The force's schemes (process id -> short title) and the one chosen in ``?scheme=``."""
    titles = scheme_titles(force.pk)
    chosen = request.GET.get("scheme", "")[:100]
    return titles, chosen if chosen in titles else ""


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    force = _force(request)
    schemes, scheme = _scheme(request, force)
    data = figures(force, timezone.now(), scheme)
    charts = {f.key: f.chart() for f in data}
    membership = request.user.membership  # present: _force checked it
    warnings = (background_warnings(membership) if allows(membership, Action.SEE_WARNINGS)
                else [])
    return render(request, "reports/dashboard.html",
                  {"figures": data, "charts": charts, "nav": "dashboard",
                   "at_risk": open_at_risk(force, scheme=scheme),
                   "headlines": headlines(force, timezone.now(), scheme),
                   "at_risk_link": cases_link(scheme, status="open", risk="any"),
                   "background_warnings": warnings, "schemes": schemes, "scheme": scheme})


@login_required
def figure_csv(request: HttpRequest, key: str) -> HttpResponse:
    force = _force(request)
    _, scheme = _scheme(request, force)
    figure = next((f for f in figures(force, timezone.now(), scheme) if f.key == key), None)
    if figure is None:
        raise Http404("No such figure.")
    name = f"{force.code.lower()}-{scheme}-{key}" if scheme else f"{force.code.lower()}-{key}"
    return csv_download(f"{name}.csv", figure.columns, figure.rows)


REFUSED_RETURNS = ("Returns are for decision makers, policy leads and national "
                   "administrators.")


def _returns_scope(request: HttpRequest) -> Scope:
    """A national administrator sees every force; a decision maker or policy lead their own.
    The numbers open cases only for those who may see every case of their force (a decision
    maker): for anyone else the case list would show fewer cases than the number counts."""
    membership = getattr(request.user, "membership", None)
    own = membership.force_id if allows(membership, Action.SUPERVISE) else None
    if is_national_admin(request.user):
        return Scope(tuple(Force.objects.order_by("name")), own, national=True)
    if not allows(membership, Action.SEE_DASHBOARD):
        raise PermissionDenied(REFUSED_RETURNS)
    return Scope((membership.force,), own)


def _returns(request: HttpRequest) -> tuple[Scope, dict[str, str], str, PeriodForm]:
    scope = _returns_scope(request)
    schemes = schemes_in(scope)
    chosen = request.GET.get("scheme", "")[:100]
    form = read_period(request.GET, last_financial_year(timezone.localdate()))
    return scope, schemes, chosen if chosen in schemes else "", form


@login_required
def returns_page(request: HttpRequest) -> HttpResponse:
    scope, schemes, scheme, form = _returns(request)
    found = scheme_returns(scope, form.period, scheme) if form.period else []
    if form.errors:
        logger.info("returns period refused: %s", ", ".join(sorted(form.errors)))
    figures = [f for item in found for f in (item.counts, item.timeliness)]
    query = urlencode({**form.query(), **({"scheme": scheme} if scheme else {})})
    return render(request, "reports/returns.html", {
        "found": found, "charts": {f.key: f.chart() for f in figures}, "form": form,
        "errors": [(f"f-{name}", message) for name, message in form.errors.items()],
        "schemes": schemes, "scheme": scheme, "scope": scope, "query": query,
        "nav": "returns"}, status=400 if form.errors else 200)


@login_required
def returns_csv(request: HttpRequest, key: str) -> HttpResponse:
    scope, _, scheme, form = _returns(request)
    if form.period is None:
        return HttpResponseBadRequest("; ".join(form.errors.values()),
                                      content_type="text/plain; charset=utf-8")
    figures = [f for item in scheme_returns(scope, form.period, scheme)
               for f in (item.counts, item.timeliness)]
    figure = next((f for f in figures if f.key == key), None)
    if figure is None:
        raise Http404("No such table.")
    who = "national" if scope.national else scope.forces[0].code.lower()
    name = f"{who}-{key}-{form.period.first:%Y%m%d}-{form.period.last:%Y%m%d}.csv"
    return csv_download(name, figure.columns, figure.rows)
