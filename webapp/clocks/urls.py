from django.urls import path

from webapp.clocks import views

app_name = "clocks"

urlpatterns = [
    path("cases/<str:reference>/clocks/<str:clock>/pause/", views.pause, name="pause"),
    path("cases/<str:reference>/clocks/<str:clock>/resume/", views.resume, name="resume"),
    path("cases/<str:reference>/clocks/<str:clock>/extension/", views.extension_request,
         name="extension"),
    path("extensions/<int:request_id>/decide/", views.extension_decide, name="decide"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("incidents/<int:incident_id>/retry/", views.retry, name="retry"),
]
