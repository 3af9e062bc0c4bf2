"""Single sign-on routes (answer 404 while it is not set up)."""

from django.urls import path

from webapp.oidc import views

app_name = "oidc"

urlpatterns = [
    path("start/", views.SsoStart.as_view(), name="start"),
    path("callback/", views.SsoCallback.as_view(), name="callback"),
]
