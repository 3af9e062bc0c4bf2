"""Sign-in page: Django's LoginView, with attempts throttled per account and per address (a
browser that signed in to the account before is not held up by its address)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse

from webapp.accounts import services
from webapp.accounts.addresses import client_address
from webapp.accounts.devices import device_remember, trusted_accounts
from webapp.accounts.models import ThrottleScope


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses a locked account with the same error as a wrong password, before the password is
    even checked (so the right password does not get through a lockout); a slowed-down address
    is told to wait, which says nothing about the account."""

    attempt: services.Attempt | None = None
    address_slowed = False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # a missing field: nothing is tried, nothing is counted
        trusted = services.account_key(username) in trusted_accounts(self.request)
        attempt = services.Attempt(username=username, address=client_address(self.request),
                                   trusted_device=trusted)
        refused_by = services.login_admit(attempt=attempt)
        if refused_by is not None:
            self.address_slowed = refused_by == ThrottleScope.ADDRESS
            raise self.get_invalid_login_error()
        try:
            cleaned = super().clean()
        except ValidationError:
            services.login_fail(attempt=attempt)
            raise
        self.attempt = attempt
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # logs in: Django rotates the session key here
        attempt = getattr(form, "attempt", None)
        if attempt is not None:
            services.login_succeed(attempt=attempt, user=form.get_user())
            device_remember(self.request, response, services.account_key(attempt.username))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lockout_attempts"] = services.ACCOUNT_LIMIT
        context["lockout_minutes"] = int(services.LOCKOUT.total_seconds() // 60)
        context["slowdown_seconds"] = int(services.ADDRESS_MAX_DELAY.total_seconds())
        context["sso_enabled"] = bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))  # webapp.oidc
        return context
