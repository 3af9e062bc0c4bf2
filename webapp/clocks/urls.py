from django.urls import path

from webapp.clocks import views

app_name = "clocks"

urlpatterns = [
    path("cases/<str:reference>/clocks/<str:clock>/pause/", views.Pause.as_view(), name="pause"),
    path("cases/<str:reference>/clocks/<str:clock>/resume/", views.Resume.as_view(), name="resume"),
    path("cases/<str:reference>/clocks/<str:clock>/extension/", views.ExtensionAsk.as_view(),
         name="extension"),
    path("extensions/<int:request_id>/decide/", views.ExtensionDecide.as_view(), name="decide"),
    path("alerts/<int:alert_id>/acknowledge/", views.AlertAcknowledge.as_view(),
         name="acknowledge"),
    path("incidents/<int:incident_id>/retry/", views.Retry.as_view(), name="retry"),
]
