"""Forces are tenants: every case, task and user belongs to exactly one."""

from __future__ import annotations

from typing import Any

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


class DecisionRoute(models.TextChoices):
    SINGLE = "single", "Single decision maker"
    PANEL = "panel", "Multi-agency panel"


class InterviewMode(models.TextChoices):
    IN_PERSON = "in_person", "In person only"
    PHONE_ALLOWED = "phone_allowed", "In person or by phone"


class RecipientRule(models.TextChoices):
    BEST_PLACED = "best_placed", "Person best placed to protect the child"
    PARENT_ONLY = "parent_carer_guardian", "Parent, carer or guardian only (Scotland)"


class TimeLimitProfile(models.Model):
    """A force's time limits as ISO 8601 durations (process-spec §4)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    initial = models.CharField(max_length=20, default="PT24H")
    interview = models.CharField(max_length=20, default="P10D")
    overall = models.CharField(max_length=20, default="P45D")
    assessment = models.CharField(max_length=20, blank=True)
    decision = models.CharField(max_length=20, blank=True)
    warning_fraction = models.FloatField(default=0.75)

    def __str__(self) -> str:
        return self.name

    def engine_variables(self) -> dict[str, Any]:
        """The process variables the diagrams' timers read."""
        return {
            "limit_initial": self.initial, "limit_interview": self.interview,
            "limit_overall": self.overall, "limit_assessment": self.assessment or None,
            "limit_decision": self.decision or None,
        }


class Force(models.Model):
    code = models.CharField(max_length=4, unique=True,
                            help_text="Prefix of case references, e.g. HRT")
    name = models.CharField(max_length=100, unique=True)
    time_limit_profile = models.ForeignKey(TimeLimitProfile, on_delete=models.PROTECT)
    decision_route = models.CharField(max_length=10, choices=DecisionRoute.choices,
                                      default=DecisionRoute.SINGLE)
    active_version = models.ForeignKey("processes.ProcessVersion", on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+")
    # The force's overlay on the national base: parameters, never a copy of the diagram.
    interview_mode = models.CharField(max_length=20, choices=InterviewMode.choices,
                                      default=InterviewMode.IN_PERSON)
    recipient_rule = models.CharField(max_length=30, choices=RecipientRule.choices,
                                      default=RecipientRule.BEST_PLACED)
    lane_teams = models.JSONField(default=dict, blank=True, help_text="lane name -> team name")
    local_steps = models.JSONField(default=list, blank=True,
                                   help_text="names of optional local steps switched on")

    def __str__(self) -> str:
        return self.name

    def overlay(self) -> dict[str, object]:
        """The force's parameters as process variables (what the diagram's gateways read)."""
        return {"decision_route": self.decision_route, "interview_mode": self.interview_mode,
                "recipient_rule": self.recipient_rule, "local_steps": list(self.local_steps)}


class Team(models.Model):
    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)

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

    def __str__(self) -> str:
        return f"{self.user} in {self.force.code}"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles if r in Role.values]
