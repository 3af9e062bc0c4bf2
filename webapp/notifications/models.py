"""Email notifications: what each person wants by email, and the notices owed to them.

A notice holds a case reference, a link path and generic words (a task's or clock's name as
the scheme declares it); never a name, form answer or free text, so it needs no erasure: the
reference is all it says about a case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    TASK_ASSIGNED = "task_assigned", "A task is assigned to you"
    TASK_RETURNED = "task_returned", "A task comes back to you after a decision"
    CLOCK_WARNING = "clock_warning", "A time limit is about to be passed"
    CLOCK_BREACH = "clock_breach", "A time limit has been passed"
    EXTENSION_REQUESTED = "extension_requested", "An extension is asked for"
    EXTENSION_DECIDED = "extension_decided", "An extension you asked for is decided"


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", "Straight away"
    DIGEST = "digest", "In a daily summary"
    NEVER = "never", "Never"


# What a person gets until they choose: the urgent kinds at once, warnings in the summary.
DEFAULT_DELIVERY: dict[str, str] = {
    Kind.TASK_ASSIGNED: Delivery.IMMEDIATELY,
    Kind.TASK_RETURNED: Delivery.IMMEDIATELY,
    Kind.CLOCK_WARNING: Delivery.DIGEST,
    Kind.CLOCK_BREACH: Delivery.IMMEDIATELY,
    Kind.EXTENSION_REQUESTED: Delivery.IMMEDIATELY,
    Kind.EXTENSION_DECIDED: Delivery.IMMEDIATELY,
}


class Preference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    delivery = models.CharField(max_length=20, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.delivery}"


class Notice(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notices")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    delivery = models.CharField(max_length=20, choices=Delivery.choices)
    reference = models.CharField(max_length=40)
    path = models.CharField(max_length=300)
    words = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "delivery"], name="notice_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
