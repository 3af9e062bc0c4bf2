from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from webapp.api import clock_views, record_views, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/enquiries", views.EnquiryCreate.as_view(), name="enquiries"),
    path("v1/cases", views.CaseList.as_view(), name="cases"),
    path("v1/cases/<str:reference>", views.CaseDetail.as_view(), name="case"),
    path("v1/cases/<str:reference>/diagram", views.CaseDiagram.as_view(), name="diagram"),
    path("v1/cases/<str:reference>/withdraw", views.CaseWithdraw.as_view(), name="withdraw"),
    path("v1/cases/<str:reference>/answers", record_views.CaseAnswers.as_view(),
         name="answers"),
    path("v1/cases/<str:reference>/break-glass", record_views.CaseBreakGlass.as_view(),
         name="break_glass"),
    path("v1/cases/<str:reference>/clocks/<str:clock>/pause", clock_views.ClockPause.as_view(),
         name="clock_pause"),
    path("v1/cases/<str:reference>/clocks/<str:clock>/resume",
         clock_views.ClockResume.as_view(), name="clock_resume"),
    path("v1/cases/<str:reference>/clocks/<str:clock>/extensions",
         clock_views.ExtensionAsk.as_view(), name="extension_request"),
    path("v1/cases/<str:reference>/extensions", clock_views.CaseExtensions.as_view(),
         name="case_extensions"),
    path("v1/extensions", clock_views.ExtensionList.as_view(), name="extensions"),
    path("v1/extensions/<int:request_id>/decision", clock_views.ExtensionDecide.as_view(),
         name="extension_decide"),
    path("v1/alerts", clock_views.AlertList.as_view(), name="alerts"),
    path("v1/alerts/<int:alert_id>/acknowledge", clock_views.AlertAcknowledge.as_view(),
         name="alert_acknowledge"),
    path("v1/incidents", clock_views.IncidentList.as_view(), name="incidents"),
    path("v1/incidents/<int:incident_id>/retry", clock_views.IncidentRetry.as_view(),
         name="incident_retry"),
    path("v1/break-glass", record_views.BreakGlassList.as_view(), name="break_glass_list"),
    path("v1/break-glass/<int:glass_id>/review", record_views.BreakGlassReview.as_view(),
         name="break_glass_review"),
    path("v1/access-log", record_views.AccessLogList.as_view(), name="access_log"),
    path("v1/tasks", views.TaskQuery.as_view(), name="tasks"),
    path("v1/tasks/<int:task_id>", views.TaskDetail.as_view(), name="task"),
    path("v1/tasks/<int:task_id>/claim", views.TaskClaim.as_view(), name="claim"),
    path("v1/tasks/<int:task_id>/release", views.TaskRelease.as_view(), name="release"),
    path("v1/tasks/<int:task_id>/assign", views.TaskAssign.as_view(), name="assign"),
    path("v1/tasks/<int:task_id>/complete", views.TaskComplete.as_view(), name="complete"),
    path("v1/process-versions", views.VersionList.as_view(), name="versions"),
    path("v1/deployments", views.DeploymentList.as_view(), name="deployments"),
]
