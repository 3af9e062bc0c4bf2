from django.urls import path

from webapp.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_page, name="index"),
    path("break-glass/<int:glass_id>/review/", views.review, name="review"),
    path("cases/<str:reference>/hold/", views.hold, name="hold"),
    path("retention/", views.retention_page, name="retention"),
    path("cases/<str:reference>/retention/ask/", views.ask, name="ask"),
    path("retention/<int:request_id>/decide/", views.decide, name="decide"),
]
