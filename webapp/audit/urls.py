from django.urls import path

from webapp.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_page, name="index"),
    path("break-glass/<int:glass_id>/review/", views.review, name="review"),
    path("cases/<str:reference>/hold/", views.hold, name="hold"),
    path("cases/<str:reference>/erase/", views.erase, name="erase"),
]
