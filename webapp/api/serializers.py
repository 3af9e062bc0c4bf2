"""Explicit API shapes: input serializers accept only what a caller may set; outputs are
read-only views of the derived rows. Force, status, assignee, version and outcomes are never
writable."""

from __future__ import annotations

from rest_framework import serializers

from webapp.cases.case_words import outcome_labels
from webapp.cases.models import Case, CaseEvent, HumanTask
from webapp.cases.parties import visible_names
from webapp.cases.reassignment import ReassignReason
from webapp.clocks.models import CaseClock
from webapp.processes.models import Deployment, ProcessVersion
from webapp.processes.registry import scheme_for


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently dropped (no mass assignment by accident)."""

    def validate(self, attrs: dict) -> dict:
        unknown = set(self.initial_data) - set(self.fields) if isinstance(
            self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({k: ["This field is not accepted."]
                                               for k in sorted(unknown)})
        return attrs


class EnquiryIn(StrictSerializer):
    scheme = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                   help_text="The scheme's process id; may be left out when "
                                             "the force runs one scheme.")
    data = serializers.DictField(help_text="The intake form's data (its JSON Schema applies).")


class TaskCompleteIn(StrictSerializer):
    data = serializers.DictField(help_text="The task form's data (validated by its schema).")


class AssignIn(StrictSerializer):
    assignee = serializers.CharField(max_length=150, help_text="Username of the officer.")
    reason_code = serializers.ChoiceField(
        choices=ReassignReason.choices, required=False, allow_blank=True,
        help_text="Why a task another officer holds is reassigned (needed then).")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                   help_text="What the reason is (needed for 'other').")


class WithdrawIn(StrictSerializer):
    reason = serializers.CharField(max_length=500)


class ClockOut(serializers.ModelSerializer):
    class Meta:
        model = CaseClock
        fields = ["clock", "label", "limit", "started_at", "due_at", "stopped_at",
                  "paused_since", "extensions", "state"]
        read_only_fields = fields


class EventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None, allow_null=True,
                                  read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["at", "kind", "stage", "task_name", "actor", "detail"]
        read_only_fields = fields


class CaseSummaryOut(serializers.ModelSerializer):
    """A case in a list: ``parties`` (party key -> names) leaves out the parties the scheme
    hides from the caller's roles (``roles`` in the context); labels stand beside codes."""

    parties = serializers.SerializerMethodField(
        help_text="party key -> names; parties hidden from the caller's role are left out")
    outcomes = serializers.SerializerMethodField(
        help_text="the outcome codes' labels, in the same order as outcome_codes")
    risks = serializers.SerializerMethodField(help_text="the risk markers the case carries")
    scheme_title = serializers.SerializerMethodField(help_text="the scheme's short title")

    class Meta:
        model = Case
        fields = ["reference", "scheme", "scheme_title", "status", "stage", "opened_at",
                  "closed_at", "outcome_codes", "outcomes", "parties", "risks", "next_due_at"]
        read_only_fields = fields

    def get_parties(self, case: Case) -> dict[str, list[str]]:
        roles = self.context.get("roles")
        if roles is None:
            return dict(case.parties)
        return visible_names(scheme_for(case.version_id), case.parties, roles)

    def get_outcomes(self, case: Case) -> list[str]:
        return outcome_labels(case)

    def get_risks(self, case: Case) -> list[dict[str, str]]:
        scheme = scheme_for(case.version_id)
        return [{"name": name, "label": scheme.risk_label(name)} for name in case.risks]

    def get_scheme_title(self, instance: Case) -> str:
        return self.context.get("schemes", {}).get(instance.scheme, instance.scheme)


class CaseDetailOut(CaseSummaryOut):
    version = serializers.CharField(source="version_label", read_only=True)
    clocks = ClockOut(many=True, read_only=True)
    timeline = EventOut(many=True, read_only=True)

    class Meta(CaseSummaryOut.Meta):
        fields = [*CaseSummaryOut.Meta.fields, "version", "clocks", "timeline"]
        read_only_fields = fields


class DiagramOut(serializers.Serializer):
    xml = serializers.CharField()
    completed = serializers.ListField(child=serializers.CharField())
    current = serializers.ListField(
        child=serializers.CharField(),
        help_text="where the case is: the ready tasks or awaited events and the activities "
                  "that called their process")
    processes = serializers.ListField(
        child=serializers.CharField(),
        help_text="the process holding the current step, then those that called it (the "
                  "case's own process only, once it is closed)")


class TaskOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    scheme = serializers.CharField(source="case.scheme", read_only=True)
    scheme_title = serializers.SerializerMethodField(help_text="the scheme's short title")
    assignee = serializers.CharField(source="assignee.get_username", default=None,
                                     allow_null=True, read_only=True)

    class Meta:
        model = HumanTask
        fields = ["id", "case", "scheme", "scheme_title", "bpmn_id", "name", "stage", "lane",
                  "role", "state", "assignee", "due_at", "created_at", "completed_at", "at_risk"]
        read_only_fields = fields

    def get_scheme_title(self, instance: HumanTask) -> str:
        return self.context.get("schemes", {}).get(instance.case.scheme, instance.case.scheme)


class TaskDetailOut(TaskOut):
    instructions = serializers.CharField(read_only=True)
    form = serializers.JSONField(source="form_schema", read_only=True)
    draft = serializers.JSONField(read_only=True)

    class Meta(TaskOut.Meta):
        fields = [*TaskOut.Meta.fields, "instructions", "form", "draft"]
        read_only_fields = fields


class VersionOut(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.get_username", default=None,
                                       allow_null=True, read_only=True)

    class Meta:
        model = ProcessVersion
        fields = ["id", "process_id", "number", "content_hash", "note", "created_at",
                  "created_by"]
        read_only_fields = fields


class DeploymentOut(serializers.ModelSerializer):
    version = serializers.CharField(source="version.__str__", read_only=True)
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.get_username", default=None,
                                       allow_null=True, read_only=True)

    class Meta:
        model = Deployment
        fields = ["id", "version", "note", "status", "requested_by", "requested_at",
                  "decided_by", "decided_at"]
        read_only_fields = fields


class CasePage(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSummaryOut(many=True)


class TaskPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TaskOut(many=True)
