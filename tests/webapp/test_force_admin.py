"""The force administrator's pages: the force, its teams and units, people and their roles,
time limits and the schemes it runs; the national administrator's forces. Every page refuses
anyone else (403) and another force's rows (404); every change is in the access log; a
deactivated account's live session and API token stop working at once."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests import factories
from tests.factories import PASSWORD, signed_in
from webapp.api.auth import token_create
from webapp.api.models import ApiToken
from webapp.audit.models import AccessLog
from webapp.forces.models import Membership, SchemeDeployment, Team, TimeLimitProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    war = factories.force("WAR", "Warwickshire", process=factories.version("csods",
                                                                           factories.CSODS))
    return {"hrt": hrt, "war": war,
            "admin": factories.officer("hrt.admin", hrt, "force_admin"),
            "officer": factories.officer("hrt.officer", hrt, "case_officer"),
            "war_admin": factories.officer("war.admin", war, "force_admin"),
            "war_officer": factories.officer("war.officer", war, "case_officer")}


def text(response) -> str:
    return unescape(response.content.decode())


def last_entry() -> AccessLog:
    return AccessLog.objects.order_by("-pk").first()


def page_urls(world) -> list[str]:
    team = Team.objects.get(force=world["hrt"])
    officer = world["officer"].pk
    return ["/administration/", "/administration/force/", "/administration/teams/new/",
            f"/administration/teams/{team.pk}/", "/administration/people/",
            "/administration/people/new/", f"/administration/people/{officer}/",
            f"/administration/people/{officer}/deactivate/",
            f"/administration/people/{officer}/password/",
            "/administration/schemes/csods/", "/administration/schemes/csods/running/",
            "/administration/schemes/csods/time-limits/new/"]


def test_force_admin_lands_on_administration_and_sees_every_page_in_words(world):
    client = signed_in(world["admin"])
    assert client.get("/").url == "/administration/"
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        shown = re.sub(r"<[^>]+>", " ", text(response))  # the words, not the attributes
        assert "force_admin" not in shown and "case_officer" not in shown, url
    overview = text(client.get("/administration/"))
    assert "Hertfordshire" in overview and "Public Protection Unit" in overview
    assert "Sarah's Law" in overview and "Taken" in overview
    assert "Initial checks: 24 hours" in overview
    assert "Who decides" in overview and "A decision maker" in overview
    people = text(client.get("/administration/people/"))
    assert "Case officer" in people and "Force administrator" in people
    assert "war.officer" not in people


def test_non_admins_are_refused_every_page(world):
    client = signed_in(world["officer"])
    for url in [*page_urls(world), "/administration/forces/", "/administration/forces/new/"]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    assert "Administration" not in text(client.get("/my-tasks/"))


def test_another_forces_rows_are_not_found(world):
    client = signed_in(world["war_admin"])
    team = Team.objects.get(force=world["hrt"])
    for url in [f"/administration/teams/{team.pk}/",
                f"/administration/people/{world['officer'].pk}/",
                f"/administration/people/{world['officer'].pk}/deactivate/"]:
        assert client.get(url).status_code == 404, url
    response = client.post(f"/administration/people/{world['officer'].pk}/deactivate/",
                           {"reason": "leaving"})
    assert response.status_code == 404
    world["officer"].refresh_from_db()
    assert world["officer"].is_active


def test_team_added_and_renamed_with_unit_and_lane_routes_following(world):
    client = signed_in(world["admin"])
    response = client.post("/administration/teams/new/", {"name": "MASH North",
                                                           "unit": "Safeguarding Hub"})
    assert response.status_code == 302
    team = Team.objects.get(force=world["hrt"], name="MASH North")
    assert team.unit == "Safeguarding Hub"
    assert last_entry().object_type == "team" and last_entry().actor_username == "hrt.admin"
    client.post("/administration/schemes/csods/", {
        "profile": "", "lane_case_officer": str(team.pk), "reason": "MASH works the checks"})
    assert SchemeDeployment.objects.get(force=world["hrt"]).lane_teams == {
        "Case officer": "MASH North"}
    client.post(f"/administration/teams/{team.pk}/", {"name": "MASH", "unit": "Hub",
                                                      "reason": "new structure"})
    assert SchemeDeployment.objects.get(force=world["hrt"]).lane_teams == {
        "Case officer": "MASH"}
    entry = last_entry()
    assert entry.fields == ["name", "unit"] and entry.justification == "new structure"


def test_a_refused_form_keeps_every_typed_value(world):
    client = signed_in(world["admin"])
    team = Team.objects.get(force=world["hrt"])
    response = client.post("/administration/people/new/", {
        "username": "hrt.new", "first_name": "Ada", "last_name": "", "email": "ada@police.uk",
        "collar_number": "1234", "team": str(team.pk), "roles": ["case_officer",
                                                                  "decision_maker"]})
    assert response.status_code == 400
    body = text(response)
    assert "Enter the person's last name" in body
    assert 'value="hrt.new"' in body and 'value="Ada"' in body and 'value="1234"' in body
    assert 'value="case_officer" checked' in body and 'value="decision_maker" checked' in body
    assert f'value="{team.pk}" selected' in body
    assert not get_user_model().objects.filter(username="hrt.new").exists()


def test_person_added_signs_in_with_the_temporary_password_shown_once(world):
    client = signed_in(world["admin"])
    response = client.post("/administration/people/new/", {
        "username": "hrt.ada", "first_name": "Ada", "last_name": "Lovelace",
        "team": "", "roles": ["decision_maker"]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.content.decode().split('<code class="temporary-password">')[1] \
        .split("<")[0]
    membership = Membership.objects.get(user__username="hrt.ada")
    assert membership.force == world["hrt"] and membership.roles == ["decision_maker"]
    assert Client().login(username="hrt.ada", password=password)
    entry = last_entry()
    assert (entry.operation, entry.object_id, entry.force_code) == ("collect", "hrt.ada", "HRT")
    assert password not in str(entry.__dict__)


def test_roles_and_team_change_needs_a_reason_and_is_logged(world):
    client = signed_in(world["admin"])
    url = f"/administration/people/{world['officer'].pk}/"
    refused = client.post(url, {"roles": ["case_officer", "decision_maker"], "team": ""})
    assert refused.status_code == 400 and "Say why you are making this change" in text(refused)
    client.post(url, {"roles": ["case_officer", "decision_maker"], "team": "",
                      "collar_number": "77", "reason": "promoted"})
    membership = Membership.objects.get(user=world["officer"])
    assert membership.roles == ["case_officer", "decision_maker"]
    assert membership.team is None and membership.collar_number == "77"
    entry = last_entry()
    assert entry.object_id == "hrt.officer" and entry.justification == "promoted"
    assert set(entry.fields) == {"roles", "team", "collar_number"}


def test_an_admin_cannot_remove_their_own_administration(world):
    client = signed_in(world["admin"])
    response = client.post(f"/administration/people/{world['admin'].pk}/", {
        "roles": ["case_officer"], "team": "", "reason": "oops"})
    assert response.status_code == 409
    assert "cannot take away your own administration" in text(response)
    assert Membership.objects.get(user=world["admin"]).roles == ["force_admin"]


def test_deactivation_ends_a_live_session_and_an_api_token_at_once(world):
    officer = world["officer"]
    browser = Client()
    browser.force_login(officer)  # a session that has given its second factor
    assert browser.get("/my-tasks/").status_code == 200
    _, secret = token_create(user=officer, name="integration")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/cases").status_code == 200
    # when
    response = signed_in(world["admin"]).post(
        f"/administration/people/{officer.pk}/deactivate/", {"reason": "left the force"})
    # then
    assert response.status_code == 302
    assert browser.get("/my-tasks/").status_code == 302  # sent to sign in
    assert api.get("/api/v1/cases").status_code == 401
    assert ApiToken.objects.get(user=officer).revoked_at is not None
    assert not Client().login(username="hrt.officer", password=PASSWORD)
    listed = text(signed_in(world["admin"]).get("/administration/people/"))
    assert "Deactivated" in listed and f"/people/{officer.pk}/reactivate/" in listed
    entry = last_entry()
    assert entry.fields == ["is_active", "sessions", "api_tokens"]
    assert entry.justification == "left the force" and entry.actor_username == "hrt.admin"
    # and back again
    signed_in(world["admin"]).post(f"/administration/people/{officer.pk}/reactivate/",
                                   {"reason": "came back"})
    assert Client().login(username="hrt.officer", password=PASSWORD)
    assert ApiToken.objects.get(user=officer).revoked_at is not None


def test_stopping_a_scheme_refuses_new_cases_and_starting_again_allows_them(world):
    client = signed_in(world["admin"])
    contact = factories.officer("hrt.contact", world["hrt"], "contact_handler")
    client.post("/administration/schemes/csods/running/", {"reason": "moving to new system"})
    assert not SchemeDeployment.objects.get(force=world["hrt"]).running
    assert "Stopped" in text(client.get("/administration/"))
    refused = signed_in(contact).get("/enquiries/new/?scheme=csods")
    assert refused.status_code == 409 and "stopped taking new cases" in text(refused)
    client.post("/administration/schemes/csods/running/", {"reason": "back on"})
    assert signed_in(contact).get("/enquiries/new/?scheme=csods").status_code == 200
    assert last_entry().fields == ["running"]


def test_force_time_limits_are_added_changed_in_words_and_chosen(world):
    client = signed_in(world["admin"])
    refused = client.post("/administration/schemes/csods/time-limits/new/", {
        "name": "Local 28 days", "limit_overall_amount": "many", "limit_overall_unit": "days"})
    assert refused.status_code == 400 and "Overall response" in text(refused)
    assert 'value="many"' in text(refused)
    client.post("/administration/schemes/csods/time-limits/new/", {
        "name": "Local 28 days", "limit_initial_amount": "24", "limit_initial_unit": "hours",
        "limit_overall_amount": "28", "limit_overall_unit": "days"})
    profile = TimeLimitProfile.objects.get(force=world["hrt"], name="Local 28 days")
    assert profile.limits == {"limit_initial": "PT24H", "limit_overall": "P28D"}
    client.post("/administration/schemes/csods/", {"profile": str(profile.pk),
                                                   "reason": "local guidance"})
    assert SchemeDeployment.objects.get(force=world["hrt"]).time_limit_profile == profile
    client.post(f"/administration/time-limits/{profile.pk}/", {
        "name": "Local 30 days", "limit_overall_amount": "30", "limit_overall_unit": "days",
        "reason": "guidance changed"})
    profile.refresh_from_db()
    assert profile.limits == {"limit_overall": "P30D"}
    assert "Overall response: 30 days" in text(client.get("/administration/"))
    # another force can neither see nor change it
    war = signed_in(world["war_admin"])
    assert war.get(f"/administration/time-limits/{profile.pk}/").status_code == 404
    assert "Local 30 days" not in text(war.get("/administration/"))


def test_force_rename_keeps_the_code(world):
    client = signed_in(world["admin"])
    client.post("/administration/force/", {"name": "Hertfordshire Constabulary",
                                           "reason": "full name"})
    world["hrt"].refresh_from_db()
    assert (world["hrt"].code, world["hrt"].name) == ("HRT", "Hertfordshire Constabulary")


def test_national_admin_creates_a_force_with_its_first_administrator(world):
    national = get_user_model().objects.create_user("national", password=PASSWORD,
                                                    is_staff=True)
    client = signed_in(national)
    assert client.get("/").url == "/administration/forces/"
    refused = client.post("/administration/forces/new/", {
        "code": "HRT", "name": "Somewhere", "username": "x.admin", "first_name": "A",
        "last_name": "B"})
    assert refused.status_code == 409 and "already exists" in text(refused)
    assert 'value="Somewhere"' in text(refused)
    response = client.post("/administration/forces/new/", {
        "code": "wmp", "name": "West Mercia", "username": "wmp.admin", "first_name": "Sam",
        "last_name": "Hill", "reason": "joining"})
    assert response.status_code == 200
    admin = Membership.objects.get(user__username="wmp.admin")
    assert admin.force.code == "WMP" and admin.roles == ["force_admin"]
    entries = list(AccessLog.objects.filter(force_code="WMP").order_by("pk"))
    assert [(e.object_type, e.actor_username) for e in entries] == [
        ("force", "national"), ("user", "national")]
    assert "West Mercia" in text(client.get("/administration/forces/"))
    # a force administrator is not a national one
    assert signed_in(world["admin"]).get("/administration/forces/").status_code == 403


def test_every_change_is_in_the_access_log_with_who_and_why_for_the_forces_auditor(world):
    client = signed_in(world["admin"])
    officer = world["officer"].pk
    team = Team.objects.get(force=world["hrt"])
    start = AccessLog.objects.count()
    client.post("/administration/force/", {"name": "Herts", "reason": "r1"})
    client.post(f"/administration/teams/{team.pk}/", {"name": "PPU", "unit": "",
                                                      "reason": "r2"})
    response = client.post(f"/administration/people/{officer}/password/", {"reason": "r3"})
    password = response.content.decode().split('<code class="temporary-password">')[1] \
        .split("<")[0]
    assert Client().login(username="hrt.officer", password=password)
    client.post("/administration/schemes/csods/", {"profile": "", "reason": "r4"})
    client.post(f"/administration/people/{officer}/deactivate/", {"reason": "r5"})
    client.post(f"/administration/people/{officer}/reactivate/", {"reason": "r6"})
    entries = list(AccessLog.objects.order_by("pk")[start:])
    assert [(e.object_type, e.justification) for e in entries] == [
        ("force", "r1"), ("team", "r2"), ("user", "r3"), ("scheme deployment", "r4"),
        ("user", "r5"), ("user", "r6")]
    assert {(e.actor_username, e.force_code, e.operation) for e in entries} == {
        ("hrt.admin", "HRT", "alter")}
    assert all(password not in str(e.__dict__) for e in entries)
    auditor = factories.officer("hrt.auditor", world["hrt"], "auditor")
    shown = text(signed_in(auditor).get("/audit/"))
    assert "hrt.admin" in shown and "r5" in shown
    war_auditor = factories.officer("war.auditor", world["war"], "auditor")
    assert "r5" not in text(signed_in(war_auditor).get("/audit/"))


def test_a_national_administrator_without_a_force_is_offered_only_the_forces(world):
    national = get_user_model().objects.create_user("national", password=PASSWORD,
                                                    is_staff=True)
    shown = text(signed_in(national).get("/administration/forces/"))
    assert "Forces" in shown and "Hertfordshire" in shown and "Warwickshire" in shown
    assert "My tasks" not in shown and "Team queue" not in shown


def test_a_team_is_removed_only_when_nobody_and_nothing_depends_on_it(world):
    client = signed_in(world["admin"])
    used = Team.objects.get(force=world["hrt"])
    refused = client.post(f"/administration/teams/{used.pk}/remove/", {"reason": "merged"})
    assert refused.status_code == 409 and "move them to another team first" in text(refused)
    empty = Team.objects.create(force=world["hrt"], name="Old MASH")
    SchemeDeployment.objects.filter(force=world["hrt"]).update(
        lane_teams={"Case officer": "Old MASH"})
    refused = client.post(f"/administration/teams/{empty.pk}/remove/", {"reason": "merged"})
    assert refused.status_code == 409 and "send them to another team first" in text(refused)
    SchemeDeployment.objects.filter(force=world["hrt"]).update(lane_teams={})
    assert client.post(f"/administration/teams/{empty.pk}/remove/",
                       {"reason": "merged"}).status_code == 302
    assert not Team.objects.filter(pk=empty.pk).exists()
    assert (last_entry().object_id, last_entry().fields) == ("Old MASH", ["removed"])


def test_people_are_found_by_name_within_the_force_only(world):
    client = signed_in(world["admin"])
    found = text(client.get("/administration/people/?q=officer"))
    listed = re.findall(r'data-label="Username">([^<]+)<', found)
    assert listed == ["hrt.officer"]
    assert "No one found." in text(client.get("/administration/people/?q=nobody"))
