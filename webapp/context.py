"""Template context every page needs: the user's force and roles, and the data marking."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

MARKING = "OFFICIAL-SENSITIVE"


def membership(request: HttpRequest) -> dict[str, Any]:
    member = getattr(getattr(request, "user", None), "membership", None)
    return {
        "marking": MARKING,
        "member": member,
        "member_roles": member.role_labels() if member else [],
        "can_start_enquiry": bool(member and member.has_role("contact_handler")),
        "can_audit": bool(member and member.has_role("auditor")),
        "can_use_studio": bool(member and member.has_role("policy_lead")),
        "can_see_dashboard": bool(member and {"decision_maker", "policy_lead"} & set(member.roles)),
    }
