from django.urls import path

from webapp.audit import retention_views, views

app_name = "audit"

urlpatterns = [
    path("", views.audit_page, name="index"),
    path("break-glass/<int:glass_id>/review/", views.review, name="review"),
    path("cases/<str:reference>/hold/", retention_views.hold, name="hold"),
    path("retention/", retention_views.retention_page, name="retention"),
    path("cases/<str:reference>/retention/ask/", retention_views.ask, name="ask"),
    path("retention/<int:request_id>/decide/", retention_views.decide, name="decide"),
]
