"""API shapes for what is recorded about a case and about access to it: the answers its forms
recorded (machine values and the forms' words), break-glass accesses, the access log."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from webapp.api.serializers import StrictSerializer
from webapp.audit.models import AccessLog, BreakGlass, BreakGlassReason, ReviewOutcome


class AnswerOut(serializers.Serializer):
    question = serializers.CharField(help_text="the form's question (groups joined by ' – ')")
    answer = serializers.CharField(help_text="the answer as the page shows it")


class RecordedFormOut(serializers.Serializer):
    task_name = serializers.CharField(help_text="the step that recorded the form")
    bpmn_id = serializers.CharField(help_text="the step's id in the diagram")
    stage = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    outcome = serializers.CharField(
        help_text="the answers the form marks for the timeline, as 'Question: answer'")
    data = serializers.DictField(
        help_text="the machine values as recorded (fields of parties the caller's role may not "
                  "see left out)")
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="the same answers labelled by the form, in its order: each row is "
                  "{label, text}, {label, rows} for a group, or {label, repeat} (a list of "
                  "row lists) for a repeated group")
    answers = AnswerOut(many=True, help_text="the rows flattened to question and answer")


class BreakGlassIn(StrictSerializer):
    reason_code = serializers.ChoiceField(choices=BreakGlassReason.choices)
    reason = serializers.CharField(max_length=500, help_text="Why the case must be opened, in "
                                                             "a few words of your own (at least "
                                                             "three different words).")


class ReviewIn(StrictSerializer):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    note = serializers.CharField(max_length=500, help_text="Why the access was or was not "
                                                           "justified (at least three different "
                                                           "words).")


def _name(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class BreakGlassOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    user = serializers.SerializerMethodField()
    reason_label = serializers.CharField(source="get_reason_code_display", read_only=True)
    reviewed_by = serializers.SerializerMethodField()
    review_outcome = serializers.CharField(
        read_only=True, help_text="justified, not_justified, or empty until reviewed")

    class Meta:
        model = BreakGlass
        fields = ["id", "case", "user", "reason_code", "reason_label", "reason", "at",
                  "expires_at", "reviewed_by", "reviewed_at", "review_outcome", "review_note"]
        read_only_fields = fields

    def get_user(self, glass: BreakGlass) -> str | None:
        return _name(glass.user)

    def get_reviewed_by(self, glass: BreakGlass) -> str | None:
        return _name(glass.reviewed_by)


class AccessLogOut(serializers.ModelSerializer):
    operation_label = serializers.CharField(source="get_operation_display", read_only=True)

    class Meta:
        model = AccessLog
        fields = ["id", "at", "actor_username", "actor_roles", "operation", "operation_label",
                  "object_type", "object_id", "fields", "justification", "recipients",
                  "request_id", "client_address", "hash"]
        read_only_fields = fields


class AccessLogPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AccessLogOut(many=True)
