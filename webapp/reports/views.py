"""The dashboard page and the same figures as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from webapp.cases.oversight import background_warnings
from webapp.downloads import csv_download
from webapp.forces.models import Force
from webapp.permissions import Action, allows
from webapp.processes.deployments import scheme_titles
from webapp.reports.selectors import cases_link, figures, headlines, open_at_risk


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
