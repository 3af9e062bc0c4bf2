"""How long a signed-in session has before the server signs it out (webapp.security enforces
it): what the page's idle warning counts down from, and the keep-alive that resets it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from webapp.security import SESSION_SEEN, SESSION_STARTED


def seconds_left(session: Any, now: float) -> int:
    """Seconds until the idle or the absolute limit ends the session (whichever is first)."""
    started = session.get(SESSION_STARTED, now)
    seen = session.get(SESSION_SEEN, now)
    idle = settings.SESSION_IDLE_SECONDS - (now - seen)
    absolute = settings.SESSION_ABSOLUTE_SECONDS - (now - started)
    return max(0, int(min(idle, absolute)))


def warning_seconds() -> int:
    """How long before the sign-out the warning shows (at most half the idle limit)."""
    return min(settings.SESSION_WARNING_SECONDS, settings.SESSION_IDLE_SECONDS // 2)


@require_POST
def keep_alive(request: HttpRequest) -> JsonResponse:
    """"Stay signed in": the idle clock starts again now (a signed-out session gets 401)."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": "signed_out", "detail": "You have been signed out."},
                            status=401)
    now = timezone.now().timestamp()
    request.session[SESSION_SEEN] = now
    return JsonResponse({"seconds_left": seconds_left(request.session, now),
                         "warn_before": warning_seconds()})
