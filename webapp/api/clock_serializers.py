"""API shapes for what a case officer and a decision maker do about time limits and failures:
pausing and extending clocks, deciding extensions, acknowledging alerts, retrying incidents.
Codes stand beside the words the pages show for them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from webapp.api.serializers import StrictSerializer
from webapp.cases.case_words import display_name
from webapp.cases.models import Incident
from webapp.clocks.durations import MAX_AMOUNT, UNITS, duration_words
from webapp.clocks.models import ClockAlert, ExtensionRequest


class PauseIn(StrictSerializer):
    reason = serializers.CharField(max_length=500, help_text="Why the clock stops counting "
                                                             "(recorded on the case).")


class ExtensionIn(StrictSerializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT,
                                      help_text="The extra time needed, a whole number.")
    unit = serializers.ChoiceField(choices=list(UNITS), help_text="The unit of ``amount``.")
    reason = serializers.CharField(max_length=500,
                                   help_text="The exceptional circumstances.")


class DecisionIn(StrictSerializer):
    approve = serializers.BooleanField(help_text="true approves (the clock's due time moves), "
                                                 "false refuses.")


def _name(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class ExtensionOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    clock_label = serializers.SerializerMethodField(help_text="the clock as the pages name it")
    duration_words = serializers.SerializerMethodField(
        help_text="the extra time in words, e.g. '7 days'")
    requested_by = serializers.SerializerMethodField()
    requested_by_name = serializers.SerializerMethodField(
        help_text="the officer as the pages name them")
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = ExtensionRequest
        fields = ["id", "case", "clock", "clock_label", "duration", "duration_words", "reason",
                  "requested_by", "requested_by_name", "requested_at", "approved",
                  "decided_by", "decided_at"]
        read_only_fields = fields

    def get_clock_label(self, row: ExtensionRequest) -> str:
        label = getattr(row, "clock_label", None)
        if label is None:
            label = row.case.clocks.filter(clock=row.clock).values_list(
                "label", flat=True).first()
        return label or row.clock

    def get_duration_words(self, row: ExtensionRequest) -> str:
        return duration_words(row.duration)

    def get_requested_by(self, row: ExtensionRequest) -> str | None:
        return _name(row.requested_by)

    def get_requested_by_name(self, row: ExtensionRequest) -> str:
        return display_name(row.requested_by)

    def get_decided_by(self, row: ExtensionRequest) -> str | None:
        return _name(row.decided_by)


class AlertOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    clock_label = serializers.SerializerMethodField(
        help_text="the clock's label (for a risk alert, the risk marker's words)")
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = ClockAlert
        fields = ["id", "case", "kind", "kind_label", "clock", "clock_label", "at",
                  "acknowledged_by", "acknowledged_at"]
        read_only_fields = fields

    def get_clock_label(self, alert: ClockAlert) -> str:
        risk = getattr(alert, "risk_label", None)
        if risk:
            return str(risk)
        label = getattr(alert, "clock_label", None)
        if label is None:
            label = alert.case.clocks.filter(clock=alert.clock).values_list(
                "label", flat=True).first()
        return label or alert.clock

    def get_acknowledged_by(self, alert: ClockAlert) -> str | None:
        return _name(alert.acknowledged_by)


class IncidentOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "case", "kind", "attempts", "message", "opened_at", "resolved_at",
                  "resolved_by"]
        read_only_fields = fields

    def get_resolved_by(self, incident: Incident) -> str | None:
        return _name(incident.resolved_by)
