"""Routes of the second-factor pages."""

from django.urls import path

from webapp.accounts import second_factor_views

urlpatterns = [
    path("login/code/", second_factor_views.verify, name="second_factor_verify"),
    path("login/set-up-app/", second_factor_views.enrol, name="second_factor_enrol"),
    path("account/recovery-codes/", second_factor_views.recovery_codes, name="recovery_codes"),
]
