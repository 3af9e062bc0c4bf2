"""Routes of the person's own account page."""

from django.urls import path

from webapp.api import account_views

urlpatterns = [
    path("", account_views.account, name="account"),
    path("tokens/<int:pk>/revoke/", account_views.token_revoke, name="account_token_revoke"),
]
