from django.urls import path

from webapp.processes import form_builder_views as forms
from webapp.processes import letter_views, scenario_views, views
from webapp.reports import whatif_views

app_name = "studio"

urlpatterns = [
    path("", views.studio, name="index"),
    path("versions/<int:version_id>/", views.version_page, name="version"),
    path("versions/<int:version_id>/diagram.bpmn", views.version_diagram, name="diagram"),
    path("versions/<int:version_id>/draft/", views.DraftNew.as_view(), name="draft_new"),
    path("versions/<int:version_id>/deploy/", views.DeployRequest.as_view(), name="deploy"),
    path("versions/<int:version_id>/what-if/", whatif_views.version_whatif,
         name="version_whatif"),
    path("drafts/<int:draft_id>/what-if/", whatif_views.draft_whatif, name="draft_whatif"),
    path("versions/<int:version_id>/dry-run/", views.dry_run_page, name="dry_run"),
    path("versions/<int:version_id>/migrate/", views.MigrateStart.as_view(), name="migrate"),
    path("versions/<int:version_id>/national-base/", views.BaseRequest.as_view(),
         name="base_request"),
    path("national-base/<int:designation_id>/approve/", views.BaseApprove.as_view(),
         name="base_approve"),
    path("deployments/<int:deployment_id>/decide/", views.DeployDecide.as_view(), name="decide"),
    path("drafts/<int:draft_id>/", views.draft_page, name="draft"),
    path("drafts/<int:draft_id>/save/", views.draft_save, name="save"),
    path("drafts/<int:draft_id>/upload/", views.DraftUpload.as_view(), name="upload"),
    path("drafts/<int:draft_id>/publish/", views.DraftPublish.as_view(), name="publish"),
    path("drafts/<int:draft_id>/files/<path:name>", views.draft_file, name="file"),
    path("drafts/<int:draft_id>/forms/", forms.form_builder, name="form_builder_index"),
    path("drafts/<int:draft_id>/forms/new/", forms.FormNew.as_view(), name="form_new"),
    path("drafts/<int:draft_id>/forms/<slug:key>/", forms.form_builder, name="form_builder"),
    path("drafts/<int:draft_id>/forms/<slug:key>/preview/", forms.form_preview,
         name="form_preview"),
    path("drafts/<int:draft_id>/forms/<slug:key>/save/", forms.form_save, name="form_save"),
    path("drafts/<int:draft_id>/scenarios/", scenario_views.scenario_list, name="scenarios"),
    path("drafts/<int:draft_id>/scenarios/walk/", scenario_views.scenario_walk,
         name="scenario_walk"),
    path("drafts/<int:draft_id>/scenarios/<str:stem>/delete/",
         scenario_views.ScenarioDelete.as_view(), name="scenario_delete"),
    path("letters/", letter_views.letter_list, name="letters"),
    path("letters/<slug:scheme>/<slug:key>/", letter_views.letter_edit, name="letter"),
    path("diff/", views.diff_page, name="diff"),
    path("drift/", views.drift_page, name="drift"),
    path("migrations/<int:migration_id>/", views.migration_page, name="migration"),
]
