"""``{% session_timeout %}``: the idle sign-out warning of a signed-in page (its dialog, hidden
until the script shows it; without JavaScript nothing shows and nothing breaks)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from webapp.accounts.session_clock import seconds_left, warning_seconds

register = template.Library()


@register.inclusion_tag("accounts/session_timeout.html", takes_context=True)
def session_timeout(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "request": request,
            "seconds_left": seconds_left(request.session, timezone.now().timestamp()),
            "warn_before": warning_seconds(), "warn_words": _words(warning_seconds()),
            "csrf_token": context.get("csrf_token")}


def _words(seconds: int) -> str:
    """As the dialog's script counts: whole minutes from a minute up, else seconds."""
    if seconds >= 60:  # noqa: PLR2004 - a minute
        minutes = -(-seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
