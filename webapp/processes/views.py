"""Process studio pages: thin adapters over the studio services (policy leads only)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from webapp.action_pages import ActionView, Field, Page, render_page
from webapp.api.parsers import MAX_DEPTH, nesting_depth
from webapp.cases.case_migration import migration_dry_run, migration_start
from webapp.downloads import as_attachment
from webapp.errors import ServiceError
from webapp.forces.models import SchemeDeployment
from webapp.processes import national_base, selectors, services
from webapp.processes.drift import drift_report
from webapp.processes.models import Migration, ProcessDraft, ProcessVersion
from webapp.processes.registry import definition_for

MAX_UPLOAD = 2 * 1024 * 1024
FILE_SIZE = "Choose a file of at most 2 MB."
NOT_TEXT = "The file is not UTF-8 text."


def _lead(request: HttpRequest) -> Any:
    try:
        return services.policy_lead(request.user)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _version(version_id: int) -> ProcessVersion:
    version = ProcessVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404("No such process version.")
    return version


def _main_file(files: dict[str, str], process_id: str) -> str:
    return f"{process_id}.bpmn" if f"{process_id}.bpmn" in files else next(
        (n for n in sorted(files) if n.endswith(".bpmn")), "")


@login_required
def studio(request: HttpRequest) -> HttpResponse:
    membership = _lead(request)
    return render(request, "studio/index.html", {
        "sections": selectors.scheme_sections(), "deployed": selectors.deployed_to(),
        "deployments": selectors.deployments(membership.force),
        "migrations": selectors.migrations(membership.force), "nav": "studio"})


def _draft(draft_id: int) -> ProcessDraft:
    draft = ProcessDraft.objects.filter(pk=draft_id).select_related("base").first()
    if draft is None:
        raise Http404("No such draft.")
    return draft


@login_required
def draft_page(request: HttpRequest, draft_id: int) -> HttpResponse:
    _lead(request)
    draft = _draft(draft_id)
    forms = sorted(n for n in draft.files if n.startswith("forms/"))
    return render(request, "studio/draft.html", {
        "draft": draft, "main_file": _main_file(draft.files, draft.process_id),
        "forms": [(n, draft.files[n]) for n in forms],
        "other_files": sorted(n for n in draft.files if n.endswith(".dmn")),
        "problems": draft.problems, "nav": "studio"})


@login_required
def draft_file(request: HttpRequest, draft_id: int, name: str) -> HttpResponse:
    _lead(request)
    draft = _draft(draft_id)
    if name not in draft.files:
        raise Http404("No such file in the draft.")
    response = HttpResponse(draft.files[name], content_type="application/xml; charset=utf-8"
                            if name.endswith((".bpmn", ".dmn")) else "application/json")
    if request.GET.get("download"):
        short = name.rsplit("/", maxsplit=1)[-1]
        as_attachment(response, short)
    return response


@login_required
@require_POST
def draft_save(request: HttpRequest, draft_id: int) -> JsonResponse:
    """JSON in ({"files": {name: text}}), the check's problems out."""
    # Only the body's parsing may say "not JSON": a ValueError from checking the files is a
    # problem with the files, reported as such by the service.
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return JsonResponse({"code": "invalid", "detail": "The request is not JSON that can be "
                             "read (UTF-8, nested at most 64 deep, numbers of at most 4,300 "
                             "digits)."}, status=400)
    try:
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, dict) or nesting_depth(body) > MAX_DEPTH:
            raise ServiceError("invalid", "Send {\"files\": {name: text}}.")
        draft = services.draft_save(user=request.user, draft_id=draft_id, files=files,
                                    if_saved_at=body.get("if_saved_at"))
    except ServiceError as exc:
        return JsonResponse({"code": exc.code, "detail": exc.message,
                             "field_errors": exc.field_errors}, status=exc.http_status)
    return JsonResponse({"problems": draft.problems, "error_count": draft.error_count,
                         "saved_at": draft.updated_at.isoformat()})


@login_required
def version_page(request: HttpRequest, version_id: int) -> HttpResponse:
    membership = _lead(request)
    version = _version(version_id)
    previous = ProcessVersion.objects.filter(process_id=version.process_id,
                                             number__lt=version.number).order_by("-number")
    return render(request, "studio/version.html", {
        "version": version, "previous": previous.defer("files", "spec_json").first(),
        "force": membership.force, "files": sorted(version.files), "nav": "studio",
        "runs_it": SchemeDeployment.objects.filter(force_id=membership.force_id,
                                                   active_version=version).exists(),
        "empty_marks": {}})


@login_required
def version_diagram(request: HttpRequest, version_id: int) -> HttpResponse:
    _lead(request)
    version = _version(version_id)
    return HttpResponse(version.files.get(_main_file(version.files, version.process_id), ""),
                        content_type="application/xml; charset=utf-8")


@login_required
def diff_page(request: HttpRequest) -> HttpResponse:
    _lead(request)
    try:
        old, new = _version(int(request.GET["a"])), _version(int(request.GET["b"]))
    except (KeyError, ValueError) as exc:
        raise Http404("Choose two versions to compare.") from exc
    from engine.diff import diff_definitions
    from engine.diff_summary import summary

    diff = diff_definitions(definition_for(old), definition_for(new))
    changes = summary(diff)  # what people changed; the diagram marks the added flows too
    return render(request, "studio/diff.html", {
        "old": old, "new": new, "diff": diff, "changes": changes, "nav": "studio",
        "marks": {"added": [e.element_id for e in diff.added],
                  "changed": [e.element_id for e in changes.changed]}})


@login_required
def drift_page(request: HttpRequest) -> HttpResponse:
    _lead(request)
    return render(request, "studio/drift.html", {"report": drift_report(), "nav": "studio"})


@login_required
def migration_page(request: HttpRequest, migration_id: int) -> HttpResponse:
    membership = _lead(request)
    migration = (Migration.objects.select_related("target")
                 .filter(pk=migration_id, force=membership.force).first())
    if migration is None:
        raise Http404("No such migration in your force.")
    return render(request, "studio/migration.html", {"migration": migration, "nav": "studio"})


STUDIO = "Back to the process studio"
DECISIONS = (("yes", "Approve and deploy"), ("no", "Reject"))
CHOOSE = "Select approve or reject."


def _studio_page(request: HttpRequest, title: str, submit: str, **extra: Any) -> Page:
    _lead(request)
    return Page(title=title, submit=submit, back=reverse("studio:index"), back_label=STUDIO,
                **extra)


class DraftNew(ActionView):
    def page(self, request: HttpRequest, version_id: int) -> Page:
        version = _version(version_id)
        return _studio_page(request, f"Edit {version} as a draft", "Start the draft",
                            fields=[Field("title", "Title of the draft (optional)",
                                          max_length=200)])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                version_id: int) -> HttpResponse:
        draft = services.draft_create(user=request.user, version_id=version_id,
                                      title=values.get("title", "")[:200])
        return redirect("studio:draft", draft_id=draft.pk)


def _draft_back(draft_id: int) -> dict[str, str]:
    return {"back": reverse("studio:draft", args=[draft_id]), "back_label": "Back to the draft"}


def _draft_details(draft: ProcessDraft) -> list[tuple[str, str]]:
    return [("Draft", draft.title or f"Draft {draft.pk}"),
            ("Based on", str(draft.base) if draft.base else "A new process")]


class DraftUpload(ActionView):
    def page(self, request: HttpRequest, draft_id: int) -> Page:
        _lead(request)
        draft = _draft(draft_id)
        return Page(title="Upload a file to the draft", submit="Upload and check",
                    **_draft_back(draft_id), details=_draft_details(draft), fields=[
                        Field("file", "A .bpmn, .dmn or form file", kind="file"),
                        Field("as", "Save it as (optional)", max_length=200,
                              hint=f"For example {_main_file(draft.files, draft.process_id)} "
                                   "to replace the diagram.")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                draft_id: int) -> HttpResponse:
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD:
            raise ServiceError("invalid", FILE_SIZE, field_errors={"file": [FILE_SIZE]})
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ServiceError("invalid", NOT_TEXT, field_errors={"file": [NOT_TEXT]}) from exc
        name = values.get("as") or upload.name
        draft = services.draft_save(user=request.user, draft_id=draft_id, files={name: text})
        messages.info(request, f"Uploaded {name}: {draft.error_count} error(s).")
        return redirect("studio:draft", draft_id=draft_id)


class DraftPublish(ActionView):
    def page(self, request: HttpRequest, draft_id: int) -> Page:
        _lead(request)
        draft = _draft(draft_id)
        return Page(title="Publish the draft as a new version",
                    submit="Publish as a new version", **_draft_back(draft_id),
                    details=_draft_details(draft),
                    intro=["A published version can be deployed to a force once a second "
                           "policy lead approves it; it cannot be changed afterwards."],
                    fields=[Field("note", "Change note: what changed and why",
                                  kind="textarea", max_length=2000)])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                draft_id: int) -> HttpResponse:
        version = services.version_publish(user=request.user, draft_id=draft_id,
                                           note=values.get("note", ""))
        messages.success(request, f"Published {version}.")
        return redirect("studio:version", version_id=version.pk)


class DeployRequest(ActionView):
    def page(self, request: HttpRequest, version_id: int) -> Page:
        membership = _lead(request)
        version = _version(version_id)
        return Page(title=f"Deploy {version} to {membership.force.name}",
                    submit="Request deployment",
                    back=reverse("studio:version", args=[version_id]),
                    back_label="Back to the version",
                    intro=["A second policy lead must approve the deployment; new cases then "
                           "start on this version."],
                    fields=[Field("note", "Why deploy this version", kind="textarea",
                                  max_length=2000)])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                version_id: int) -> HttpResponse:
        services.deployment_request(user=request.user, version_id=version_id,
                                    note=values.get("note", ""))
        messages.success(request, "Deployment requested: a second policy lead must approve it.")
        return redirect("studio:index")


class DeployDecide(ActionView):
    def page(self, request: HttpRequest, deployment_id: int) -> Page:
        return _studio_page(request, "Decide on a deployment", "Record the decision",
                            fields=[Field("approve", "Your decision", kind="radios",
                                          choices=DECISIONS)])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                deployment_id: int) -> HttpResponse:
        if values.get("approve") not in ("yes", "no"):
            raise ServiceError("invalid", CHOOSE, field_errors={"approve": [CHOOSE]})
        deployment = services.deployment_decide(user=request.user, deployment_id=deployment_id,
                                                approve=values["approve"] == "yes")
        messages.success(request, f"{deployment.version} "
                                  f"{deployment.get_status_display().lower()} for "
                                  f"{deployment.force.name}.")
        return redirect("studio:index")


class BaseRequest(ActionView):
    def page(self, request: HttpRequest, version_id: int) -> Page:
        version = _version(version_id)
        return _studio_page(request, f"Make {version} the national base",
                            "Ask to make it the national base",
                            intro=["A second policy lead must approve it."])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                version_id: int) -> HttpResponse:
        row = national_base.base_request(user=request.user, version_id=version_id)
        messages.success(request, f"Asked to make {row.version} the national base: a second "
                                  "policy lead must approve it.")
        return redirect("studio:index")


class BaseApprove(ActionView):
    def page(self, request: HttpRequest, designation_id: int) -> Page:
        return _studio_page(request, "Approve the national base", "Approve")

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                designation_id: int) -> HttpResponse:
        row = national_base.base_approve(user=request.user, designation_id=designation_id)
        messages.success(request, f"{row.version} is now the national base.")
        return redirect("studio:index")


@login_required
def dry_run_page(request: HttpRequest, version_id: int) -> HttpResponse:
    try:
        result = migration_dry_run(user=request.user, version_id=version_id)
    except ServiceError as exc:
        return render_page(request, _studio_page(request, "Dry run of a migration", ""),
                           error=exc)
    return render(request, "studio/dry_run.html", {"result": result, "nav": "studio"})


class MigrateStart(ActionView):
    def page(self, request: HttpRequest, version_id: int) -> Page:
        version = _version(version_id)
        return _studio_page(request, f"Move cases to {version}", "Move the cases",
                            back_label=STUDIO)

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                version_id: int) -> HttpResponse:
        migration = migration_start(user=request.user, version_id=version_id)
        return redirect("studio:migration", migration_id=migration.pk)
