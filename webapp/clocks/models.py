"""Clock events (the source of truth) and the clock rows derived from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ClockEventKind(models.TextChoices):
    STARTED = "started", "Started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    EXTENDED = "extended", "Extended"
    STOPPED = "stopped", "Stopped"
    WITHDRAWN = "withdrawn", "Stopped: the case was withdrawn"


class ClockEvent(models.Model):
    """One change to one clock of one case; clocks are recomputed from these alone."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clock_events")
    clock = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=ClockEventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    limit = models.CharField(max_length=20, blank=True, help_text="ISO 8601, on 'started'")
    duration = models.CharField(max_length=20, blank=True, help_text="ISO 8601, on 'extended'")
    reason = models.CharField(max_length=500, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "clock", "at"], name="clock_event_case")]

    def __str__(self) -> str:
        return f"{self.clock} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    STOPPED = "stopped", "Stopped"  # the case was withdrawn before the limit: neither met nor not


class CaseClock(models.Model):
    """A clock as the inbox and reports read it, rewritten from its events on every change."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks")
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="+")
    clock = models.CharField(max_length=20)
    label = models.CharField(max_length=100)
    limit = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)
    extensions = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=ClockState.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "clock"], name="clock_unique")]
        indexes = [
            models.Index(fields=["force", "due_at"], name="clock_running_due",
                         condition=Q(state="running")),
            models.Index(fields=["force", "clock", "stopped_at"], name="clock_stopped"),
            # breaches in a period (the dashboard's and the heatmap's)
            models.Index(fields=["force", "due_at"], name="clock_breached_due",
                         condition=Q(state="breached")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.clock}: {self.state}"


class ExtensionRequest(models.Model):
    """A request to extend a clock for exceptional circumstances, and its decision."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="extensions")
    clock = models.CharField(max_length=20)
    duration = models.CharField(max_length=20)
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)

    def __str__(self) -> str:
        decision = "pending" if self.approved is None else self.approved
        return f"{self.clock} +{self.duration} ({decision})"


class AlertKind(models.TextChoices):
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"
    RISK = "risk", "Risk marked"  # a declared risk marker set by case data (``clock``: its name)


class ClockAlert(models.Model):
    """A warning or breach of a clock, for the decision maker to see and acknowledge."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="alerts")
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="+")
    clock = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "clock", "kind"],
                                               name="alert_once_per_clock")]
        indexes = [models.Index(fields=["force", "acknowledged_at", "at"], name="alert_open")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.clock} {self.kind}"


class WorkerHeartbeat(models.Model):
    """When the background timer sweep last ran: beat schedules it every few seconds and a
    worker runs it, so an old heartbeat means time limits, warnings and escalations stopped."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the sweeper")

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
