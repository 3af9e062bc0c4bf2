"""The force administrator's pages about people: the list, adding an account, changing roles
and team, deactivating (sessions and API tokens end at once), reactivating, a temporary
password."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from webapp.action_pages import ActionView, Field, Page
from webapp.forces.models import Membership, Role, Team

from .people import (
    NewUser,
    password_reset,
    user_add,
    user_change,
    user_deactivate,
    user_reactivate,
)
from .views import REASON, operator_of, password_page

BACK = "Back to people"
PEOPLE_PAGE = 100
ROLE_CHOICES = list(Role.choices)


@login_required
def people(request: HttpRequest) -> HttpResponse:
    force = operator_of(request).force
    text = request.GET.get("q", "").strip()[:100]
    rows = Membership.objects.filter(force=force).select_related("user", "team")
    if text:
        rows = rows.filter(Q(user__username__icontains=text) | Q(user__first_name__icontains=text)
                           | Q(user__last_name__icontains=text) | Q(collar_number=text))
    rows = rows.order_by("-user__is_active", "user__last_name", "user__first_name", "pk")
    page = Paginator(rows, PEOPLE_PAGE).get_page(request.GET.get("page"))
    return render(request, "administration/people.html", {
        "force": force, "page": page, "q": text, "nav": "administration"})


def _team_choices(force_id: int) -> list[tuple[str, str]]:
    return [("", "No team"), *((str(t.pk), t.name) for t in
                               Team.objects.filter(force_id=force_id).order_by("name"))]


def _person(request: HttpRequest, user_id: int) -> Membership:
    force = operator_of(request).force
    found = (Membership.objects.select_related("user", "team")
             .filter(force=force, user_id=user_id).first())
    if found is None:
        raise Http404("No such person in your force.")
    return found


def _details(membership: Membership) -> list[tuple[str, str]]:
    user = membership.user
    return [("Name", user.get_full_name() or user.get_username()),
            ("Username", user.get_username()),
            ("Collar or staff number", membership.collar_number or "None"),
            ("Team", membership.team.name if membership.team else "No team"),
            ("Roles", ", ".join(membership.role_labels()) or "None"),
            ("Account", "Active" if user.is_active else "Deactivated")]


class PersonAdd(ActionView):
    def page(self, request: HttpRequest) -> Page:
        force = operator_of(request).force
        return Page(title="Add a person", submit="Add the person", caption=force.name,
                    back=reverse("administration:people"), back_label=BACK,
                    intro=["They are given a temporary password, shown once on the next "
                           "page."],
                    fields=[Field("username", "Username", max_length=150,
                                  hint="What they sign in with, like hrt.jsmith"),
                            Field("first_name", "First name", max_length=150),
                            Field("last_name", "Last name", max_length=150),
                            Field("email", "Email address (optional)", max_length=254),
                            Field("collar_number", "Collar or staff number (optional)",
                                  max_length=12),
                            Field("team", "Team", kind="select",
                                  choices=_team_choices(force.pk)),
                            Field("roles", "Roles", kind="checkboxes", choices=ROLE_CHOICES,
                                  hint="Select all that apply")])

    def perform(self, request: HttpRequest, values: Mapping[str, str]) -> HttpResponse:
        username = values.get("username", "").strip()
        user, password = user_add(operator=operator_of(request), new=NewUser(
            username=username, first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""), email=values.get("email", ""),
            collar_number=values.get("collar_number", ""), team_id=values.get("team") or None,
            roles=[r for r in values.get("roles", "").split(",") if r]))
        return password_page(request, f"{user.get_full_name()} is added", username=username,
                             password=password, back=reverse("administration:people"),
                             back_label=BACK)


class PersonEdit(ActionView):
    def page(self, request: HttpRequest, user_id: int) -> Page:
        membership = _person(request, user_id)
        return Page(title=f"Change {membership.user.get_full_name() or 'this person'}'s roles "
                          "and team",
                    submit="Save the changes", caption=membership.force.name,
                    back=reverse("administration:people"), back_label=BACK,
                    details=_details(membership),
                    fields=[Field("roles", "Roles", kind="checkboxes", choices=ROLE_CHOICES,
                                  initial=",".join(membership.roles),
                                  hint="Select all that apply"),
                            Field("team", "Team", kind="select",
                                  choices=_team_choices(membership.force_id),
                                  initial=str(membership.team_id or "")),
                            Field("collar_number", "Collar or staff number", max_length=12,
                                  initial=membership.collar_number),
                            REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                user_id: int) -> HttpResponse:
        user_change(operator=operator_of(request), user_id=user_id,
                    roles=[r for r in values.get("roles", "").split(",") if r],
                    team_id=values.get("team") or None,
                    collar_number=values.get("collar_number", ""),
                    reason=values.get("reason", ""))
        messages.success(request, "The changes are saved.")
        return redirect("administration:people")


class PersonDeactivate(ActionView):
    def page(self, request: HttpRequest, user_id: int) -> Page:
        membership = _person(request, user_id)
        return Page(title="Deactivate this account", submit="Deactivate the account",
                    caption=membership.force.name, warning=True,
                    back=reverse("administration:people"), back_label=BACK,
                    details=_details(membership),
                    intro=["They are signed out everywhere at once, can no longer sign in, "
                           "and every API token of theirs stops working. Their tasks stay "
                           "assigned to them until a decision maker assigns them to someone "
                           "else."],
                    fields=[Field("reason", "Why is the account being deactivated?",
                                  kind="textarea",
                                  hint="This is recorded in the access log with your name.")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                user_id: int) -> HttpResponse:
        ended, revoked = user_deactivate(operator=operator_of(request), user_id=user_id,
                                         reason=values.get("reason", ""))
        messages.success(request, f"The account is deactivated: {ended} session(s) ended and "
                                  f"{revoked} API token(s) revoked.")
        return redirect("administration:people")


class PersonReactivate(ActionView):
    def page(self, request: HttpRequest, user_id: int) -> Page:
        membership = _person(request, user_id)
        return Page(title="Reactivate this account", submit="Reactivate the account",
                    caption=membership.force.name, back=reverse("administration:people"),
                    back_label=BACK, details=_details(membership),
                    intro=["They can sign in again. API tokens revoked when the account was "
                           "deactivated stay revoked."],
                    fields=[REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                user_id: int) -> HttpResponse:
        user_reactivate(operator=operator_of(request), user_id=user_id,
                        reason=values.get("reason", ""))
        messages.success(request, "The account is active again.")
        return redirect("administration:people")


class PersonPassword(ActionView):
    def page(self, request: HttpRequest, user_id: int) -> Page:
        membership = _person(request, user_id)
        return Page(title="Give a temporary password", submit="Make a temporary password",
                    caption=membership.force.name, warning=True,
                    back=reverse("administration:people"), back_label=BACK,
                    details=_details(membership),
                    intro=["Their password is replaced and they are signed out everywhere. "
                           "The new password is shown once, on the next page."],
                    fields=[REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                user_id: int) -> HttpResponse:
        membership = _person(request, user_id)
        password = password_reset(operator=operator_of(request), user_id=user_id,
                                  reason=values.get("reason", ""))
        return password_page(request, "A temporary password is made",
                             username=membership.user.get_username(), password=password,
                             back=reverse("administration:people"), back_label=BACK)
