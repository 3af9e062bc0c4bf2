"""Saved views: a user keeps a worklist page's filters and sort under a name, for themselves or
shared with their team; only the owner deletes one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from webapp.cases.case_words import officer_name
from webapp.cases.worklist_models import SavedView
from webapp.errors import ServiceError
from webapp.forces.models import Membership

NAME_MISSING = "Enter a name for the view."
NAME_MOST = 60
NAME_LONG = f"The view's name must be {NAME_MOST} characters or fewer."


def views_for(membership: Membership, page: str) -> list[dict[str, Any]]:
    """The user's own views of ``page`` and those their team shares (of their force only),
    each with its owner's name as pages show it (``owner``), by name. One statement written as
    SQL: the worklists read it on every request, and the ORM's building of it and of a read of
    each owner's membership (their collar number) cost more than the list they show."""
    view, user, member = SavedView._meta, get_user_model()._meta, Membership._meta
    quote = connection.ops.quote_name
    team = "v.team_id IS NULL" if membership.team_id is None else "v.team_id = %s"
    # names from the models' metadata, values bound
    sql = ("SELECT v.id, v.name, v.query, v.shared, v.owner_id, u.first_name, u.last_name, "  # noqa: S608
           f"u.{quote(user.get_field(get_user_model().USERNAME_FIELD).column)}, "
           f"m.collar_number FROM {quote(view.db_table)} v "
           f"JOIN {quote(user.db_table)} u ON u.id = v.owner_id "
           f"LEFT JOIN {quote(member.db_table)} m ON m.user_id = v.owner_id "
           f"WHERE v.force_id = %s AND v.page = %s AND (v.owner_id = %s OR "
           f"(v.shared = %s AND {team})) ORDER BY v.name, v.id")
    params: list[Any] = [membership.force_id, page, membership.user_id, True]
    if membership.team_id is not None:
        params.append(membership.team_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [{"id": pk, "name": name, "query": query, "shared": bool(shared), "owner_id": owner,
             "owner": officer_name(f"{first} {last}", username, collar)}
            for pk, name, query, shared, owner, first, last, username, collar in rows]


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
