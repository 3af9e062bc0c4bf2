"""The s.62 access log, break-glass accesses and retention requests (asked by one auditor,
decided by another)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Operation(models.TextChoices):
    """The operations DPA 2018 s.62(1) requires logs of."""

    COLLECT = "collect", "Collection"
    ALTER = "alter", "Alteration"
    CONSULT = "consult", "Consultation"
    DISCLOSE = "disclose", "Disclosure"
    COMBINE = "combine", "Combination"
    ERASE = "erase", "Erasure"


class AccessLog(models.Model):
    """One logged operation. Append-only (a database trigger refuses UPDATE and DELETE) and
    hash-chained: each row's hash covers its fields and the previous row's hash."""

    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              related_name="+")
    actor_username = models.CharField(max_length=150)
    actor_roles = models.CharField(max_length=200, blank=True)
    force_code = models.CharField(max_length=4, blank=True)
    operation = models.CharField(max_length=10, choices=Operation.choices)
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=64)
    fields = models.JSONField(default=list)
    justification = models.CharField(max_length=500, blank=True)
    recipients = models.JSONField(default=list)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="access_object"),
                   models.Index(fields=["actor", "at"], name="access_actor"),
                   # The auditor's page, newest first by (at, id), one index per filter: the
                   # force's log, by user, by case reference (a date range is a range of at).
                   models.Index(fields=["force_code", "at", "id"], name="access_force_at"),
                   models.Index(fields=["force_code", "actor_username", "at", "id"],
                                name="access_force_user"),
                   models.Index(fields=["force_code", "object_id", "at", "id"],
                                name="access_force_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.operation} {self.object_id}"


class ChainHead(models.Model):
    """The last hash of the chain; locked while appending so that rows chain one at a time."""

    last_hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} rows, last {self.last_hash[:12]}"


class BreakGlassReason(models.TextChoices):
    SAFEGUARDING = "safeguarding", "Urgent safeguarding concern"
    COVER = "cover", "Covering for an absent colleague"
    COMPLAINT = "complaint", "Complaint or legal request"
    OTHER = "other", "Other (explain)"


class ReviewOutcome(models.TextChoices):
    JUSTIFIED = "justified", "Justified"
    NOT_JUSTIFIED = "not_justified", "Not justified"


class BreakGlass(models.Model):
    """An access outside the user's legitimate relationships: reasoned, logged, reviewed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    reason_code = models.CharField(max_length=20, choices=BreakGlassReason.choices)
    reason = models.CharField(max_length=500)
    at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    review_outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True)

    def __str__(self) -> str:
        return f"break-glass by {self.user_id} on {self.case_id}"


class ChainVerification(models.Model):
    """One run of the hash-chain check (by ``audit_verify`` or the periodic job): the access
    log page shows the last one instead of walking the whole chain on every view."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=20, help_text="command or periodic job")
    rows_checked = models.PositiveBigIntegerField()
    intact = models.BooleanField()
    first_bad_row_id = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        state = "intact" if self.intact else "broken"
        return f"{self.finished_at:%Y-%m-%d %H:%M} {state} ({self.rows_checked} rows)"


class RetentionAction(models.TextChoices):
    ERASE = "erase", "Erase the personal data"
    LIFT_HOLD = "lift_hold", "Lift the legal hold"


class RetentionRequest(models.Model):
    """An auditor asks to erase a case or lift its legal hold; a different auditor decides."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=RetentionAction.choices)
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["case", "action"], condition=models.Q(approved__isnull=True),
            name="retention_one_open_request")]

    def __str__(self) -> str:
        decision = "pending" if self.approved is None else self.approved
        return f"{self.action} {self.case_id} ({decision})"
