"""The retention pages: cases due for review or under legal hold, and the requests one auditor
made that another must approve or refuse."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from webapp.action_pages import ActionView, Field, Page
from webapp.audit.models import RetentionAction, RetentionRequest
from webapp.audit.views import _auditor
from webapp.cases.models import Case, CaseStatus
from webapp.cases.retention import legal_hold_place, retention_ask, retention_decide
from webapp.errors import ServiceError


@login_required
def retention_page(request: HttpRequest) -> HttpResponse:
    """Cases due for review, and the requests waiting for a second auditor."""
    membership = _auditor(request)
    due = (Case.objects.filter(force_id=membership.force_id, erased_at__isnull=True)
           .filter(Q(status=CaseStatus.CLOSED, review_due__lte=timezone.localdate())
                   | Q(legal_hold=True))
           .order_by("review_due", "reference")[:50])
    waiting = (RetentionRequest.objects.filter(case__force_id=membership.force_id,
                                               approved__isnull=True)
               .select_related("case", "requested_by").order_by("requested_at"))
    return render(request, "audit/retention.html", {
        "reviews": due, "waiting": waiting, "nav": "audit"})


BACK = "Back to retention reviews"
CHOOSE = "Select approve or refuse."
DECISIONS = (("approve", "Approve and carry it out"), ("refuse", "Refuse"))


def _case(request: HttpRequest, reference: str) -> Case:
    membership = _auditor(request)
    case = Case.objects.filter(force_id=membership.force_id, reference=reference).first()
    if case is None:
        raise Http404("No such case in your force.")
    return case


class Hold(ActionView):
    def page(self, request: HttpRequest, reference: str) -> Page:
        case = _case(request, reference)
        return Page(title=f"Place {case.reference} under legal hold", submit="Place a legal hold",
                    caption=case.reference, back=reverse("audit:retention"),
                    back_label=BACK, intro=["Nothing of the case can be erased while the hold "
                                            "is on; lifting it needs two auditors."],
                    fields=[Field("reason", "Reason for the hold", kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                reference: str) -> HttpResponse:
        legal_hold_place(user=request.user, reference=reference,
                         reason=values.get("reason", ""))
        messages.success(request, f"{reference} is under legal hold.")
        return redirect("audit:retention")


class Ask(ActionView):
    def page(self, request: HttpRequest, reference: str) -> Page:
        case = _case(request, reference)
        erase = request.POST.get("action", request.GET.get("action")) != RetentionAction.LIFT_HOLD
        return Page(
            title=(f"Ask to erase the personal data of {case.reference}" if erase
                   else f"Ask to lift the legal hold on {case.reference}"),
            submit="Ask to erase the personal data" if erase else "Ask to lift the legal hold",
            caption=case.reference, back=reverse("audit:retention"), back_label=BACK,
            warning=erase, intro=["Another auditor must approve the request before anything "
                                  "changes."],
            fields=[Field("action", "Request", kind="hidden",
                          initial=RetentionAction.ERASE if erase else RetentionAction.LIFT_HOLD),
                    Field("reason", "Review decision (why the data is no longer needed)"
                          if erase else "Why the hold may end", kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                reference: str) -> HttpResponse:
        retention_ask(user=request.user, reference=reference, action=values.get("action", ""),
                      reason=values.get("reason", ""))
        messages.success(request, f"{reference}: request recorded; another auditor must "
                                  "approve it.")
        return redirect("audit:retention")


class Decide(ActionView):
    def page(self, request: HttpRequest, request_id: int) -> Page:
        membership = _auditor(request)
        asked = (RetentionRequest.objects.select_related("case", "requested_by")
                 .filter(pk=request_id, case__force_id=membership.force_id).first())
        if asked is None:
            raise Http404("No such retention request in your force.")
        return Page(title=f"Decide: {asked.get_action_display().lower()}",
                    submit="Record the decision", caption=asked.case.reference,
                    back=reverse("audit:retention"), back_label=BACK,
                    details=[("Case", asked.case.reference),
                             ("Asked by", asked.requested_by.get_username()),
                             ("Reason", asked.reason)],
                    fields=[Field("decision", "Your decision", kind="radios",
                                  choices=DECISIONS),
                            Field("note", "Note (optional)", kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                request_id: int) -> HttpResponse:
        decision = values.get("decision")
        if decision not in ("approve", "refuse"):
            raise ServiceError("invalid", CHOOSE, field_errors={"decision": [CHOOSE]})
        approve = decision == "approve"
        retention_decide(user=request.user, request_id=request_id, approve=approve,
                         note=values.get("note", ""))
        messages.success(request, "Approved and carried out." if approve
                         else "Request refused; nothing was changed.")
        return redirect("audit:retention")
