"""Sign-in throttles (per account and per client address) and the authentication event record."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ThrottleScope(models.TextChoices):
    ACCOUNT = "account", "Account"
    ADDRESS = "address", "Client address"


class LoginThrottle(models.Model):
    """Sign-in attempts counted per key in a window that opens at the first one; reaching the
    limit locks the key until ``locked_until``, whatever password is then given."""

    scope = models.CharField(max_length=10, choices=ThrottleScope.choices)
    key = models.CharField(max_length=64,
                           help_text="keyed digest of the username, or the client address")
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"],
                                               name="login_throttle_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:12]}: {self.failures}"


class AuthEventKind(models.TextChoices):
    SUCCESS = "success", "Signed in"
    FAILURE = "failure", "Wrong username or password"
    REFUSED = "refused", "Refused while locked"
    ACCOUNT_LOCKED = "account_locked", "Account locked"
    ADDRESS_LOCKED = "address_locked", "Address locked"
    LOGOUT = "logout", "Signed out"
    EXPIRED = "expired", "Session expired"
    SSO_SUCCESS = "sso_success", "Signed in with single sign-on"
    SSO_FAILURE = "sso_failure", "Single sign-on refused"
    SSO_NO_ROLE = "sso_no_role", "Single sign-on without a role here"
    CODE_ACCEPTED = "code_ok", "Second-factor code accepted"
    CODE_FAILURE = "code_failure", "Wrong second-factor code"
    ENROLLED = "enrolled", "Authenticator app set up"
    RECOVERY_CODES = "recovery_codes", "New recovery codes made"


class AuthEvent(models.Model):
    """One authentication event (ASVS 7.2.1), without secrets: what was typed as the username is
    kept only as a keyed digest, since people do type their password into that box."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=AuthEventKind.choices)
    account_key = models.CharField(max_length=64, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["account_key", "at"], name="auth_event_account_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}"
