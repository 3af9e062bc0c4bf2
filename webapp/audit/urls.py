from django.urls import path

from webapp.audit import retention_views, views

app_name = "audit"

urlpatterns = [
    path("", views.audit_page, name="index"),
    path("break-glass/<int:glass_id>/review/", views.Review.as_view(), name="review"),
    path("cases/<str:reference>/hold/", retention_views.Hold.as_view(), name="hold"),
    path("retention/", retention_views.retention_page, name="retention"),
    path("cases/<str:reference>/retention/ask/", retention_views.Ask.as_view(), name="ask"),
    path("retention/<int:request_id>/decide/", retention_views.Decide.as_view(), name="decide"),
]
