"""Studio page: what-if on a draft or a version before its deployment is approved. The policy
lead picks months of their force's history, officers per role and working hours; the page shows
per clock the predicted share on time and per role the queue, beside the deployed version."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from engine import Definition, DefinitionInvalid, load_files
from engine.whatif import WhatIfInvalid
from webapp.errors import ServiceError
from webapp.forces.models import Membership, SchemeDeployment
from webapp.permissions import Action, require
from webapp.processes.lanes import WORK_ROLES
from webapp.processes.models import ProcessDraft, ProcessVersion
from webapp.processes.registry import definition_for
from webapp.reports import whatif_form, whatif_history

log = logging.getLogger(__name__)


def _lead(request: HttpRequest) -> Membership:
    try:
        return require(request.user, Action.USE_STUDIO)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


@login_required
@require_http_methods(["GET", "POST"])
def draft_whatif(request: HttpRequest, draft_id: int) -> HttpResponse:
    membership = _lead(request)
    draft = ProcessDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        raise Http404("No such draft.")
    back = (reverse("studio:draft", args=[draft.pk]), "Back to the draft")
    name = draft.title or f"Draft {draft.pk}"
    try:
        definition = load_files(draft.file_bytes(), draft.process_id, roles=WORK_ROLES)
    except DefinitionInvalid:
        return _page(request, membership, None, name, back, broken=True)
    return _page(request, membership, definition, name, back)


@login_required
@require_http_methods(["GET", "POST"])
def version_whatif(request: HttpRequest, version_id: int) -> HttpResponse:
    membership = _lead(request)
    version = ProcessVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404("No such version.")
    back = (reverse("studio:version", args=[version.pk]), f"Back to {version}")
    return _page(request, membership, definition_for(version), str(version), back)


def _page(request: HttpRequest, membership: Membership, definition: Definition | None,
          name: str, back: tuple[str, str], *, broken: bool = False) -> HttpResponse:
    force = membership.force
    context: dict[str, object] = {"name": name, "back": back, "force": force, "nav": "studio",
                                  "broken": broken}
    if definition is None:
        return render(request, "reports/whatif.html", context)
    deployment = SchemeDeployment.objects.filter(force=force, scheme=definition.process_id) \
        .select_related("active_version").first()
    roles = whatif_history.roles_of(definition)
    if deployment is not None and deployment.active_version_id is not None:
        roles += [r for r in whatif_history.roles_of(definition_for(deployment.active_version))
                  if r not in roles]
    context.update({"scheme_title": definition.scheme.title, "months_choices": whatif_form.MONTHS,
                    "no_paths": not roles, "runs_it": deployment is not None})
    status = 200
    if request.method == "POST" and roles:
        chosen = whatif_form.read(request.POST, roles)
        if not chosen.errors:
            try:
                done = whatif_history.compare(
                    user=request.user, force=force, candidate=definition,
                    months=int(chosen.months), staffing=chosen.officers(), hours=chosen.hours())
            except WhatIfInvalid as exc:
                chosen.errors["form"] = str(exc)
            else:
                context.update(_results(done, chosen))
        if chosen.errors:
            status = 400
            log.info("what-if refused: fields=%s", ",".join(sorted(chosen.errors)))
    else:
        chosen = whatif_form.initial(roles, whatif_history.staff_counts(force))
    context.update({"chosen": chosen, "days": whatif_form.day_choices(chosen),
                    "staff": [(r, whatif_form.role_label(r), chosen.staffing.get(r, ""),
                               chosen.errors.get(f"staff-{r}")) for r in roles]})
    return render(request, "reports/whatif.html", context, status=status)


def _results(done: whatif_history.Comparison, chosen: whatif_form.Choices) -> dict[str, object]:
    candidate, deployed = done.candidate, done.deployed
    return {
        "result": candidate, "deployed": deployed, "deployed_label": done.deployed_label,
        "hours_words": chosen.hours().words(), "cases": len(done.history.arrivals),
        "summary": whatif_form.summary(candidate, deployed, done.deployed_label),
        "clock_rows": whatif_form.clock_rows(candidate, deployed),
        "role_rows": whatif_form.role_rows(candidate),
        "deployed_role_rows": whatif_form.role_rows(deployed) if deployed else [],
        "chart": whatif_form.chart(candidate, done.history.epoch),
        "guessed": len(candidate.guessed),
    }
