"""Saved views of the worklist pages: a name for a set of filters and a sort, private to its
owner or shared with their team (scoped to the force and team it was saved in)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WorklistPage(models.TextChoices):
    MINE = "mine", "My tasks"
    QUEUE = "queue", "Team queue"


class SavedView(models.Model):
    """Filters and a sort kept as the page's query string (only values the page offers: no
    case data, no person's name)."""

    force = models.ForeignKey("forces.Force", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("forces.Team", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", help_text="the owner's team when it was saved")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    page = models.CharField(max_length=10, choices=WorklistPage.choices)
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True)
    shared = models.BooleanField(default=False, help_text="shown to the owner's team")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["force", "page", "team"], name="savedview_scope")]
        constraints = [models.UniqueConstraint(fields=["owner", "page", "name"],
                                               name="savedview_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.page})"
