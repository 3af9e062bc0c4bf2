from django.urls import path

from webapp.processes import views

app_name = "studio"

urlpatterns = [
    path("", views.studio, name="index"),
    path("versions/<int:version_id>/", views.version_page, name="version"),
    path("versions/<int:version_id>/diagram.bpmn", views.version_diagram, name="diagram"),
    path("versions/<int:version_id>/draft/", views.draft_new, name="draft_new"),
    path("versions/<int:version_id>/deploy/", views.deploy_request, name="deploy"),
    path("versions/<int:version_id>/dry-run/", views.dry_run_page, name="dry_run"),
    path("versions/<int:version_id>/migrate/", views.migrate_start, name="migrate"),
    path("versions/<int:version_id>/national-base/", views.base_request, name="base_request"),
    path("national-base/<int:designation_id>/approve/", views.base_approve, name="base_approve"),
    path("deployments/<int:deployment_id>/decide/", views.deploy_decide, name="decide"),
    path("drafts/<int:draft_id>/", views.draft_page, name="draft"),
    path("drafts/<int:draft_id>/save/", views.draft_save, name="save"),
    path("drafts/<int:draft_id>/upload/", views.draft_upload, name="upload"),
    path("drafts/<int:draft_id>/publish/", views.draft_publish, name="publish"),
    path("drafts/<int:draft_id>/files/<path:name>", views.draft_file, name="file"),
    path("diff/", views.diff_page, name="diff"),
    path("drift/", views.drift_page, name="drift"),
    path("migrations/<int:migration_id>/", views.migration_page, name="migration"),
]
