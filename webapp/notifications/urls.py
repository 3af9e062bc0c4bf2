"""Routes of the person's email notification choices (under /account/)."""

from django.urls import path

from webapp.notifications import views

urlpatterns = [
    path("notifications/", views.preferences, name="notification_preferences"),
]
