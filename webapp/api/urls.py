from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from webapp.api import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/enquiries", views.EnquiryCreate.as_view(), name="enquiries"),
    path("v1/cases", views.CaseList.as_view(), name="cases"),
    path("v1/cases/<str:reference>", views.CaseDetail.as_view(), name="case"),
    path("v1/cases/<str:reference>/diagram", views.CaseDiagram.as_view(), name="diagram"),
    path("v1/cases/<str:reference>/withdraw", views.CaseWithdraw.as_view(), name="withdraw"),
    path("v1/tasks", views.TaskQuery.as_view(), name="tasks"),
    path("v1/tasks/<int:task_id>", views.TaskDetail.as_view(), name="task"),
    path("v1/tasks/<int:task_id>/claim", views.TaskClaim.as_view(), name="claim"),
    path("v1/tasks/<int:task_id>/release", views.TaskRelease.as_view(), name="release"),
    path("v1/tasks/<int:task_id>/assign", views.TaskAssign.as_view(), name="assign"),
    path("v1/tasks/<int:task_id>/complete", views.TaskComplete.as_view(), name="complete"),
    path("v1/process-versions", views.VersionList.as_view(), name="versions"),
    path("v1/deployments", views.DeploymentList.as_view(), name="deployments"),
]
