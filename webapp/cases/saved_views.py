"""Saved views: a user keeps a worklist page's filters and sort under a name, for themselves or
shared with their team; only the owner deletes one."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from webapp.cases.worklist_models import SavedView
from webapp.errors import ServiceError
from webapp.forces.models import Membership

NAME_MISSING = "Enter a name for the view."
NAME_MOST = 60
NAME_LONG = f"The view's name must be {NAME_MOST} characters or fewer."


def views_for(membership: Membership, page: str) -> QuerySet[SavedView]:
    """The user's own views of ``page`` and those their team shares (of their force only)."""
    theirs = Q(owner_id=membership.user_id)
    shared = Q(shared=True, team_id=membership.team_id)
    return (SavedView.objects.filter(force_id=membership.force_id, page=page)
            .filter(theirs | shared).select_related("owner").order_by("name", "id"))


def view_save(*, membership: Membership, page: str, name: str, query: str,
              shared: bool) -> SavedView:
    """Keep ``query`` (already reduced to the page's own values) as ``name``; saving again
    under a name the user already has replaces that view."""
    name = " ".join(name.split())
    if not name:
        raise ServiceError("invalid", NAME_MISSING, field_errors={"view_name": [NAME_MISSING]})
    if len(name) > NAME_MOST:
        raise ServiceError("invalid", NAME_LONG, field_errors={"view_name": [NAME_LONG]})
    view, _ = SavedView.objects.update_or_create(
        owner_id=membership.user_id, page=page, name=name,
        defaults={"force_id": membership.force_id, "team_id": membership.team_id,
                  "query": query[:500], "shared": shared, "created_at": timezone.now()})
    return view


def view_delete(*, membership: Membership, view_id: int) -> SavedView:
    """Delete one of the user's own views (a colleague's shared view is theirs to delete)."""
    view = SavedView.objects.filter(pk=view_id, force_id=membership.force_id).first()
    if view is None:
        raise ServiceError("not_found", "That saved view no longer exists.")
    if view.owner_id != membership.user_id:
        raise ServiceError("forbidden", f"Only {view.owner.get_username()} may delete "
                                        f"'{view.name}': it is their view.")
    view.delete()
    return view
