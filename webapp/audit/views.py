"""The auditor's page: the access log by user, case and period; break-glass reviews; the
retention reviews due (worked on the retention page, ``retention_views``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from webapp.action_pages import ActionView, Field, Page
from webapp.audit.log import record
from webapp.audit.models import AccessLog, BreakGlass, Operation, ReviewOutcome
from webapp.audit.verification import last_chain_verification
from webapp.cases.access import break_glass_review
from webapp.cases.models import Case, CaseStatus
from webapp.keyset import keyset_page
from webapp.permissions import Action, allows


def _auditor(request: HttpRequest):  # noqa: ANN202 - a Membership
    membership = getattr(request.user, "membership", None)
    if not allows(membership, Action.AUDIT):
        raise Http404("The access log is for auditors.")
    return membership


DATE_PARTS = ("day", "month", "year")
LOG_PAGE = 50


def _day(params: Mapping[str, str], name: str, label: str, *, end: bool
         ) -> tuple[datetime | None, dict[str, str], str]:
    """A filter date typed as day, month and year (or given whole as ISO in a link): the
    moment it starts (or ends), the parts to show again, and what is wrong with it."""
    parts = {part: params.get(f"{name}.{part}", "").strip()[:4] for part in DATE_PARTS}
    if any(parts.values()):
        try:
            day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            return None, parts, f"The '{label}' date must be a real date, like 27 3 2026"
    else:
        try:
            day = parse_date(params.get(name, "")[:10])
        except ValueError:
            day = None
        if day is not None:
            parts = {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
    if day is None:
        return None, parts, ""
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min)), parts, ""


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    membership = _auditor(request)
    params = request.GET
    rows = AccessLog.objects.filter(force_code=membership.force.code)
    keep = {}
    if params.get("user"):
        keep["user"] = params["user"][:150]
        rows = rows.filter(actor_username=keep["user"])
    if params.get("case"):
        keep["case"] = params["case"][:64]
        rows = rows.filter(object_id=keep["case"])
    start, from_parts, from_error = _day(params, "from", "From", end=False)
    finish, to_parts, to_error = _day(params, "to", "To", end=True)
    dates = [("from", "From", from_parts, from_error), ("to", "To", to_parts, to_error)]
    if start:
        rows = rows.filter(at__gte=start)
        keep["from"] = start.date().isoformat()
    if finish:
        rows = rows.filter(at__lte=finish)
        keep["to"] = finish.date().isoformat()
    # newest first by an index matching the filters (access_force_*), one statement a page
    # whatever the log's length (read before this consultation is logged)
    page = keyset_page(rows, params, key="at", size=LOG_PAGE, keep=keep)
    record(actor=request.user, operation=Operation.CONSULT, object_type="access log",
           object_id=f"page {page.number}", justification="audit of the access log")
    return render(request, "audit/index.html", {
        "page": page, "filters": params, "verification": last_chain_verification(),
        "dates": dates, "date_errors": [(f"#f-{name}", error)
                                        for name, _, _, error in dates if error],
        "glass": BreakGlass.objects.filter(case__force_id=membership.force_id,
                                           reviewed_at__isnull=True)
                 .select_related("user", "case").order_by("at")[:50],
        "reviews": Case.objects.filter(force_id=membership.force_id, status=CaseStatus.CLOSED,
                                       erased_at__isnull=True,
                                       review_due__lte=timezone.localdate())
                   .order_by("review_due")[:50],
        "nav": "audit"})


class Review(ActionView):
    """An auditor's review of a break-glass access."""

    def page(self, request: HttpRequest, glass_id: int) -> Page:
        membership = _auditor(request)
        glass = (BreakGlass.objects.select_related("user", "case")
                 .filter(pk=glass_id, case__force_id=membership.force_id).first())
        if glass is None:
            raise Http404("No such break-glass access in your force.")
        return Page(title="Review a break-glass access", submit="Record review",
                    caption=glass.case.reference, back=reverse("audit:index"),
                    back_label="Back to the access log",
                    details=[("Opened by", glass.user.get_username()),
                             ("Case", glass.case.reference),
                             ("When", f"{timezone.localtime(glass.at):%-d %B %Y, %H:%M}"),
                             ("Reason given", f"{glass.get_reason_code_display()}: "
                                              f"{glass.reason}")],
                    fields=[Field("outcome", "Was the access justified?", kind="radios",
                                  choices=ReviewOutcome.choices),
                            Field("note", "Review note", kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                glass_id: int) -> HttpResponse:
        break_glass_review(user=request.user, glass_id=glass_id,
                           outcome=values.get("outcome", ""), note=values.get("note", ""))
        messages.success(request, "Review recorded.")
        return redirect("audit:index")
