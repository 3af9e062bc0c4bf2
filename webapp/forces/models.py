"""Forces are tenants: every case, task and user belongs to exactly one."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    CONTACT_HANDLER = "contact_handler", "Contact handler"
    CASE_OFFICER = "case_officer", "Case officer"
    DECISION_MAKER = "decision_maker", "Decision maker"
    DISCLOSURE_OFFICER = "disclosure_officer", "Disclosure officer"
    POLICY_LEAD = "policy_lead", "Policy lead"
    FORCE_ADMIN = "force_admin", "Force administrator"
    AUDITOR = "auditor", "Auditor"


class TimeLimitProfile(models.Model):
    """Named time limits: duration parameter name -> ISO 8601 duration (process-spec §4).

    A profile may belong to one scheme (its limits then name that scheme's parameters)."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    scheme = models.CharField(max_length=100, blank=True,
                              help_text="the process id the profile is for (blank: any)")
    limits = models.JSONField(default=dict, blank=True,
                              help_text="duration parameter -> ISO 8601 duration or null")
    warning_fraction = models.FloatField(default=0.75)
    force = models.ForeignKey("Force", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="time_limit_profiles",
                              help_text="the force that keeps the profile (blank: a national "
                                        "profile every force may choose and none may change)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "code"],
                                               name="profile_unique_code")]

    def __str__(self) -> str:
        return self.name


class Force(models.Model):
    """A force; the ``sso_`` fields say whose single sign-on it trusts and what the identity
    provider's groups mean here (docs/sso.md)."""

    code = models.CharField(max_length=4, unique=True,
                            help_text="Prefix of case references, e.g. HRT")
    name = models.CharField(max_length=100, unique=True)
    sso_issuer = models.CharField(
        max_length=200, blank=True,
        help_text="the issuer of the force's ID tokens, e.g. "
                  "https://login.microsoftonline.com/<tenant id>/v2.0 (blank: no single sign-on)")
    sso_group_roles = models.JSONField(default=dict, blank=True,
                                       help_text="group id -> role, or list of roles")
    sso_group_teams = models.JSONField(default=dict, blank=True,
                                       help_text="group id -> team name")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sso_issuer"],
                                               condition=~models.Q(sso_issuer=""),
                                               name="force_unique_sso_issuer")]

    def __str__(self) -> str:
        return self.name


class SchemeDeployment(models.Model):
    """One scheme a force runs: its active version, time limits and the force's overlay.

    ``parameters`` holds values for the scheme's declared parameters (never a copy of the
    diagram); ``lane_teams`` routes a lane's new tasks to one of the force's teams."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="schemes")
    scheme = models.CharField(max_length=100, help_text="the process id (the folder name)")
    active_version = models.ForeignKey("processes.ProcessVersion", on_delete=models.PROTECT,
                                       related_name="+")
    time_limit_profile = models.ForeignKey(TimeLimitProfile, on_delete=models.PROTECT,
                                           null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True,
                                  help_text="declared parameter -> the force's value")
    lane_teams = models.JSONField(default=dict, blank=True, help_text="lane name -> team name")
    running = models.BooleanField(default=True,
                                  help_text="new cases may start (cases already open go on)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "scheme"],
                                               name="deployment_unique_scheme")]

    def __str__(self) -> str:
        return f"{self.scheme} at {self.force_id}"


class Team(models.Model):
    """A team of a force. Units (a Public Protection Unit, a MASH) are named on their teams:
    nothing is routed or permitted by unit, so a unit needs no row of its own."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=100, blank=True,
                            help_text="the unit the team belongs to, if any")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.force.code})"


class Membership(models.Model):
    """A user's place in one force: its team and roles there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="membership")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="members")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="members")
    roles = models.JSONField(default=list)
    collar_number = models.CharField(max_length=12, blank=True,
                                     help_text="the officer's collar or staff number, if any")
    sso_subject = models.CharField(
        max_length=100, blank=True,
        help_text="the identity provider's stable id for the user (Entra ID: oid), if any")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "sso_subject"],
                                               condition=~models.Q(sso_subject=""),
                                               name="membership_unique_sso_subject")]

    def __str__(self) -> str:
        return f"{self.user} in {self.force.code}"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles if r in Role.values]
