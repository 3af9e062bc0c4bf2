"""Template context every page needs: the user's force and roles, and the data marking."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from webapp.permissions import Action, allows, is_national_admin

MARKING = "OFFICIAL-SENSITIVE"


def membership(request: HttpRequest) -> dict[str, Any]:
    member = getattr(getattr(request, "user", None), "membership", None)
    return {
        "marking": MARKING,
        "member": member,
        "member_roles": member.role_labels() if member else [],
        "can_start_enquiry": allows(member, Action.START_CASE),
        "can_audit": allows(member, Action.AUDIT),
        "can_use_studio": allows(member, Action.USE_STUDIO),
        "can_see_dashboard": allows(member, Action.SEE_DASHBOARD),
        "can_supervise": allows(member, Action.SUPERVISE),
        "can_administer": allows(member, Action.ADMINISTER),
        "is_national_admin": is_national_admin(getattr(request, "user", None)),
    }
