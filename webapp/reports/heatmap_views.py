"""The heatmap page: a process version's diagram coloured by the time cases spend at each step,
with the clock breaches at each, for the user's force (a national administrator chooses a force
or all of them), a version and a period; and the version's diagram file it draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from webapp.cases.element_rows import ElementScope
from webapp.cases.models import MAX_ID_DIGITS
from webapp.clocks.periods import EARLIEST_DAY, LATEST_DAY, Period
from webapp.forces.models import Force, SchemeDeployment
from webapp.permissions import Action, allows, is_national_admin
from webapp.processes.models import ProcessVersion
from webapp.processes.registry import scheme_for
from webapp.reports.heatmap import (
    BANDS,
    BREACHED_AT,
    PASSED,
    ElementFigures,
    cases_link,
    diagram_data,
    element_figures,
    span_words,
)

REFUSED = "The heatmap is for decision makers and policy leads."
ALL_FORCES = "all"
SORT_COLUMNS = (("name", "Step"), ("completed", "Tasks completed"), ("median", "Median time"),
                ("p90", "90% completed within"), ("breaches", "Clock breaches at the step"))
SORTS = {  # ?sort= -> (key, largest first), the table's columns
    "name": (lambda f: f.name.lower(), False),
    "completed": (lambda f: f.completed, True),
    "median": (lambda f: f.median or -1, True),
    "p90": (lambda f: f.p90 or -1, True),
    "breaches": (lambda f: f.breaches, True),
}


@dataclass
class Viewer:
    """Who looks: their force (None for a national administrator) and the forces they may
    choose."""

    force: Force | None
    national: bool


@dataclass
class Choice:
    """What the page shows, as chosen in its filters (errors keep the typed dates)."""

    force_ids: tuple[int, ...] | None = None
    force_value: str = ""
    scheme: str = ""
    version: ProcessVersion | None = None
    period: Period | None = None
    dates: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _viewer(request: HttpRequest) -> Viewer:
    membership = getattr(request.user, "membership", None)
    if allows(membership, Action.SEE_DASHBOARD):
        return Viewer(membership.force, False)
    if is_national_admin(request.user):
        return Viewer(None, True)
    raise Http404(REFUSED)


def _schemes(viewer: Viewer) -> dict[str, str]:
    """Process id -> short title: the force's schemes, or every registered one."""
    if viewer.force is not None:
        keys = list(SchemeDeployment.objects.filter(force=viewer.force)
                    .order_by("scheme").values_list("scheme", "active_version_id"))
    else:
        newest: dict[str, int] = {}
        for key, pk in (ProcessVersion.objects.order_by("process_id", "number")
                        .values_list("process_id", "pk")):
            newest[key] = pk
        keys = sorted(newest.items())
    titles = {}
    for key, version_id in keys:
        declared = scheme_for(version_id)
        titles[key] = declared.short_title or declared.title or key
    return titles


def _date(get: Any, prefix: str) -> tuple[date | None, dict[str, str], str]:
    parts = {p: get.get(f"{prefix}_{p}", "").strip()[:4] for p in ("day", "month", "year")}
    typed = {f"{prefix}_{p}": v for p, v in parts.items()}
    if not any(parts.values()):
        return None, typed, ""
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None, typed, "must be a real date, for example 27 3 2026"
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return None, typed, (f"must be between {EARLIEST_DAY.year} and {LATEST_DAY.year}, "
                             "for example 27 3 2026")
    return day, typed, ""


def _period(request: HttpRequest, choice: Choice) -> None:
    today = timezone.localdate()
    first, typed_from, bad_from = _date(request.GET, "from")
    last, typed_to, bad_to = _date(request.GET, "to")
    choice.dates = {**typed_from, **typed_to}
    if bad_from:
        choice.errors["from_day"] = f"The start date {bad_from}"
    if bad_to:
        choice.errors["to_day"] = f"The end date {bad_to}"
    last = last or today
    first = first or last - timedelta(days=364)
    if not choice.errors and first > last:
        choice.errors["from_day"] = "The start date must be the same as or before the end date"
    if choice.errors:
        first, last = today - timedelta(days=364), today
    choice.period = Period(first, last)
    for prefix, day in (("from", first), ("to", last)):  # show the dates in effect
        if not any(choice.dates[f"{prefix}_{p}"] for p in ("day", "month", "year")):
            choice.dates.update({f"{prefix}_day": str(day.day),
                                 f"{prefix}_month": str(day.month),
                                 f"{prefix}_year": str(day.year)})


def _choose(request: HttpRequest, viewer: Viewer, schemes: dict[str, str]) -> Choice:
    choice = Choice()
    if viewer.force is not None:
        choice.force_ids = (viewer.force.pk,)
    else:
        wanted = request.GET.get("force", ALL_FORCES)[:10]
        force = Force.objects.filter(code=wanted).first() if wanted != ALL_FORCES else None
        choice.force_ids = (force.pk,) if force else None
        choice.force_value = force.code if force else ALL_FORCES
    scheme = request.GET.get("scheme", "")[:100]
    choice.scheme = scheme if scheme in schemes else next(iter(schemes), "")
    versions = ProcessVersion.objects.filter(process_id=choice.scheme).defer("spec_json")
    wanted_version = request.GET.get("version", "")
    if wanted_version.isdecimal() and len(wanted_version) <= MAX_ID_DIGITS:
        choice.version = versions.filter(pk=int(wanted_version)).first()
    if choice.version is None and viewer.force is not None:
        active = (SchemeDeployment.objects.filter(force=viewer.force, scheme=choice.scheme)
                  .values_list("active_version_id", flat=True).first())
        choice.version = versions.filter(pk=active).first()
    if choice.version is None:
        choice.version = versions.order_by("-number").first()
    _period(request, choice)
    return choice


def _sorted(figures: list[ElementFigures], sort: str) -> list[ElementFigures]:
    if sort not in SORTS:
        return figures
    key, largest_first = SORTS[sort]
    return sorted(figures, key=key, reverse=largest_first)


def _legend(figures: list[ElementFigures]) -> list[tuple[int, str]]:
    """Each colour band with the median times it stands for."""
    longest = max((f.median or 0 for f in figures), default=0)
    if not longest:
        return []
    return [(band, f"{span_words(longest * (band - 1) / BANDS)} to "
                   f"{span_words(longest * band / BANDS)}") for band in range(1, BANDS + 1)]


@login_required
def heatmap(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    schemes = _schemes(viewer)
    choice = _choose(request, viewer, schemes)
    context: dict[str, Any] = {
        "nav": "dashboard", "schemes": schemes, "choice": choice, "national": viewer.national,
        "viewer_force": viewer.force, "bands": range(1, BANDS + 1),
        "forces": Force.objects.order_by("name") if viewer.national else [],
        "sort": request.GET.get("sort", ""), "sort_columns": SORT_COLUMNS}
    if choice.version is not None and choice.period is not None:
        scope = ElementScope(choice.force_ids, choice.version.pk, choice.period)
        figures = element_figures(scope, timezone.now())
        # a national administrator sees no case list (no force), and the case list of someone
        # who does not supervise shows only their own cases: figures without links for them
        linked = not viewer.national and allows(getattr(request.user, "membership", None),
                                                Action.SUPERVISE)
        links = {} if not linked else {f.bpmn_id: {
            PASSED: cases_link(scope, choice.scheme, f.bpmn_id, PASSED),
            BREACHED_AT: cases_link(scope, choice.scheme, f.bpmn_id, BREACHED_AT)}
            for f in figures}
        context.update({
            "versions": (ProcessVersion.objects.filter(process_id=choice.scheme)
                         .defer("files", "spec_json").order_by("-number")),
            "rows": [(f, links.get(f.bpmn_id, {})) for f in _sorted(figures, context["sort"])],
            "legend": _legend(figures), "diagram": diagram_data(figures, links),
            "totals": {"completed": sum(f.completed for f in figures),
                       "breaches": sum(f.breaches for f in figures)},
            "filter_query": _filter_query(request)})
    return render(request, "reports/heatmap.html", context, status=400 if choice.errors else 200)


def _filter_query(request: HttpRequest) -> str:
    """The page's filters as a query string (the sort links keep them)."""
    kept = request.GET.copy()
    kept.pop("sort", None)
    return kept.urlencode()


@login_required
def heatmap_diagram(request: HttpRequest, version_id: int) -> HttpResponse:
    """The version's main BPMN file, for the heatmap's viewer."""
    _viewer(request)
    version = ProcessVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404("No such process version.")
    files = version.files
    name = (f"{version.process_id}.bpmn" if f"{version.process_id}.bpmn" in files
            else next((n for n in sorted(files) if n.endswith(".bpmn")), ""))
    return HttpResponse(files.get(name, ""), content_type="application/xml; charset=utf-8")
