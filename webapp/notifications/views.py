"""The person's "Email notifications" page under their account: per kind, straight away, in a
daily summary, or never."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from webapp.notifications.models import Delivery, Kind
from webapp.notifications.services import deliveries, preferences_set


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    chosen = deliveries(request.user.pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        choices = {}
        for kind in Kind:
            value = request.POST.get(kind.value, "")
            if value not in Delivery.values:
                errors[kind.value] = f"Choose when to get an email when {kind.label.lower()}"
            else:
                choices[kind.value] = value
        chosen.update(choices)
        if not errors:
            preferences_set(user=request.user, choices=choices)
            messages.success(request, "Your email choices are saved.")
            return redirect("notification_preferences")
    rows = [{"kind": kind.value, "label": kind.label, "chosen": chosen[kind.value],
             "error": errors.get(kind.value, "")} for kind in Kind]
    return render(request, "notifications/preferences.html",
                  {"rows": rows, "deliveries": Delivery.choices, "errors": errors,
                   "has_email": bool(request.user.email)},
                  status=400 if errors else 200)
