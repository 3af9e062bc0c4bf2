"""Action pages over the clock services (``webapp.action_pages``): pause, resume, extend, decide,
acknowledge, retry. A refusal shows the form again with what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from webapp.action_pages import ActionView, Field, Page
from webapp.cases import clock_services as services
from webapp.cases.case_words import display_name
from webapp.cases.step_incidents import incident_retry
from webapp.clocks.durations import UNITS, duration_words, extension_duration
from webapp.clocks.models import CaseClock, ClockAlert, ExtensionRequest
from webapp.errors import ServiceError
from webapp.permissions import member

DECISIONS = (("yes", "Approve"), ("no", "Refuse"))


def _force_id(request: HttpRequest) -> int:
    try:
        return member(request.user).force_id
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _clock_page(request: HttpRequest, reference: str, clock: str, title: str,
                submit: str, **extra: Any) -> Page:
    """A page about one clock of one case of the user's force (its label, a way back)."""
    label = (CaseClock.objects.filter(case__force_id=_force_id(request),
                                      case__reference=reference, clock=clock)
             .values_list("label", flat=True).first())
    if label is None:
        raise Http404("No such clock in your force.")
    return Page(title=title.format(clock=label.lower()), submit=submit, caption=reference,
                back=reverse("cases:case", args=[reference]), back_label="Back to the case",
                details=[("Case", reference), ("Clock", label)], **extra)


class Pause(ActionView):
    def page(self, request: HttpRequest, reference: str, clock: str) -> Page:
        return _clock_page(request, reference, clock, "Pause the {clock} clock", "Pause",
                           intro=["While it is paused the time limit does not run; the pause "
                                  "and its reason are recorded on the case."],
                           fields=[Field("reason", "Reason for pausing the clock",
                                         kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str], reference: str,
                clock: str) -> HttpResponse:
        row = services.clock_pause(user=request.user, reference=reference, clock=clock,
                                   reason=values.get("reason", ""))
        messages.success(request, f"The {row.label.lower()} clock is paused.")
        return redirect("cases:case", reference=reference)


class Resume(ActionView):
    def page(self, request: HttpRequest, reference: str, clock: str) -> Page:
        return _clock_page(request, reference, clock, "Resume the {clock} clock", "Resume",
                           intro=["The time limit runs again from now; the paused time is "
                                  "added to its due time."])

    def perform(self, request: HttpRequest, values: Mapping[str, str], reference: str,
                clock: str) -> HttpResponse:
        row = services.clock_resume(user=request.user, reference=reference, clock=clock)
        messages.success(request, f"The {row.label.lower()} clock is running again.")
        return redirect("cases:case", reference=reference)


class ExtensionAsk(ActionView):
    def page(self, request: HttpRequest, reference: str, clock: str) -> Page:
        return _clock_page(
            request, reference, clock, "Request more time for the {clock} clock",
            "Request an extension",
            intro=["A decision maker other than you approves or refuses the request."],
            fields=[Field("amount", "Extra time needed", max_length=3,
                          hint="A whole number, like 7"),
                    Field("unit", "Unit", kind="radios",
                          choices=[(key, label) for key, (label, _) in UNITS.items()]),
                    Field("reason", "Exceptional circumstances", kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str], reference: str,
                clock: str) -> HttpResponse:
        services.extension_request(user=request.user, reference=reference, clock=clock,
                                   duration=extension_duration(values),
                                   reason=values.get("reason", ""))
        messages.success(request, "Extension requested: a decision maker will approve or "
                                  "refuse it.")
        return redirect("cases:case", reference=reference)


class ExtensionDecide(ActionView):
    def page(self, request: HttpRequest, request_id: int) -> Page:
        ask = (ExtensionRequest.objects.select_related("case", "requested_by")
               .filter(pk=request_id, case__force_id=_force_id(request)).first())
        if ask is None:
            raise Http404("No such extension request in your force.")
        return Page(title="Decide on an extension", submit="Record the decision",
                    caption=ask.case.reference,
                    back=reverse("cases:case", args=[ask.case.reference]),
                    back_label="Back to the case",
                    details=[("Case", ask.case.reference),
                             ("Extra time", duration_words(ask.duration)),
                             ("Requested by", display_name(ask.requested_by)),
                             ("Reason", ask.reason)],
                    fields=[Field("approve", "Your decision", kind="radios",
                                  choices=DECISIONS)])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                request_id: int) -> HttpResponse:
        if values.get("approve") not in ("yes", "no"):
            raise ServiceError("invalid", "Select approve or refuse.",
                               field_errors={"approve": ["Select approve or refuse."]})
        decided = services.extension_decide(user=request.user, request_id=request_id,
                                            approve=values["approve"] == "yes")
        messages.success(request, "Extension approved." if decided.approved
                         else "Extension refused.")
        return redirect("cases:case", reference=decided.case.reference)


class AlertAcknowledge(ActionView):
    def page(self, request: HttpRequest, alert_id: int) -> Page:
        alert = (ClockAlert.objects.select_related("case")
                 .filter(pk=alert_id, force_id=_force_id(request)).first())
        if alert is None:
            raise Http404("No such alert in your force.")
        return Page(title=f"Acknowledge the {alert.get_kind_display().lower()}",
                    submit="Acknowledge", caption=alert.case.reference,
                    back=reverse("cases:queue"), back_label="Back to the team queue",
                    details=[("Case", alert.case.reference)])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                alert_id: int) -> HttpResponse:
        services.alert_acknowledge(user=request.user, alert_id=alert_id)
        return redirect("cases:queue")


class Retry(ActionView):
    def page(self, request: HttpRequest, incident_id: int) -> Page:
        _force_id(request)
        return Page(title="Try the failed step again", submit="Retry",
                    back=reverse("cases:queue"), back_label="Back to the team queue")

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                incident_id: int) -> HttpResponse:
        case = incident_retry(user=request.user, incident_id=incident_id)
        messages.success(request, f"{case.reference} will be tried again.")
        return redirect("cases:case", reference=case.reference)
