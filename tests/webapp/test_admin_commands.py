"""The administration commands do what the pages do, for the force they name, as the system or
a named administrator, with clear errors and an access-log entry for every change."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests import factories
from tests.factories import PASSWORD
from webapp.api.auth import token_create
from webapp.api.models import ApiToken
from webapp.audit.models import AccessLog
from webapp.forces.models import Force, Membership, SchemeDeployment, Team, TimeLimitProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def hrt():
    force = factories.force(process=factories.version("csods", factories.CSODS))
    factories.officer("hrt.admin", force, "force_admin")
    return force


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def last_entry() -> AccessLog:
    return AccessLog.objects.order_by("-pk").first()


def test_force_create_makes_the_force_and_an_administrator_who_can_sign_in():
    out = run("force_create", "wmp", "West Mercia", "--admin", "wmp.admin", "--first-name",
              "Sam", "--last-name", "Hill", "--reason", "joining the service")
    password = out.split("shown once): ")[1].strip()
    assert Force.objects.get(code="WMP").name == "West Mercia"
    assert Membership.objects.get(user__username="wmp.admin").roles == ["force_admin"]
    assert Client().login(username="wmp.admin", password=password)
    entries = AccessLog.objects.filter(force_code="WMP").order_by("pk")
    assert [(e.object_type, e.actor_username) for e in entries] == [("force", "system"),
                                                                    ("user", "system")]
    with pytest.raises(CommandError, match="already exists"):
        run("force_create", "WMP", "Other", "--admin", "x", "--first-name", "A",
            "--last-name", "B")


def test_force_create_by_someone_not_national_is_refused(hrt):
    with pytest.raises(CommandError, match="not a national administrator"):
        run("force_create", "ABC", "Abc", "--admin", "abc.admin", "--first-name", "A",
            "--last-name", "B", "--by", "hrt.admin")


def test_team_and_user_added_as_a_named_administrator(hrt):
    run("team_add", "MASH", "--unit", "Safeguarding Hub", "--force", "hrt", "--by",
        "hrt.admin")
    assert Team.objects.get(force=hrt, name="MASH").unit == "Safeguarding Hub"
    assert last_entry().actor_username == "hrt.admin"
    out = run("user_add", "hrt.ada", "--force", "HRT", "--first-name", "Ada", "--last-name",
              "Lovelace", "--team", "mash", "--role", "Case officer", "--role",
              "decision_maker", "--by", "hrt.admin")
    assert "Temporary password" in out
    membership = Membership.objects.get(user__username="hrt.ada")
    assert membership.roles == ["case_officer", "decision_maker"]
    assert membership.team.name == "MASH"
    assert (last_entry().object_id, last_entry().operation) == ("hrt.ada", "collect")


def test_commands_refuse_unknown_things_in_plain_words(hrt):
    with pytest.raises(CommandError, match="no force with the code 'XYZ'"):
        run("team_add", "A", "--force", "XYZ")
    with pytest.raises(CommandError, match="There is no role 'boss'"):
        run("user_add", "hrt.x", "--force", "HRT", "--first-name", "A", "--last-name", "B",
            "--role", "boss")
    with pytest.raises(CommandError, match="has no team called 'Nowhere'"):
        run("user_add", "hrt.x", "--force", "HRT", "--first-name", "A", "--last-name", "B",
            "--role", "case_officer", "--team", "Nowhere")
    factories.officer("hrt.officer", hrt, "case_officer")
    with pytest.raises(CommandError, match="not a force administrator of Hertfordshire"):
        run("team_add", "A", "--force", "HRT", "--by", "hrt.officer")
    war = factories.force("WAR", "Warwickshire")
    factories.officer("war.admin", war, "force_admin")
    with pytest.raises(CommandError, match="not a force administrator of Hertfordshire"):
        run("team_add", "A", "--force", "HRT", "--by", "war.admin")
    with pytest.raises(CommandError, match="Say why"):
        run("user_roles", "hrt.officer", "--force", "HRT", "--role", "decision_maker")


def test_user_roles_replaces_roles_with_a_reason(hrt):
    factories.officer("hrt.officer", hrt, "case_officer")
    run("user_roles", "hrt.officer", "--force", "HRT", "--role", "decision_maker", "--team",
        "", "--reason", "promoted")
    membership = Membership.objects.get(user__username="hrt.officer")
    assert membership.roles == ["decision_maker"] and membership.team is None
    assert last_entry().justification == "promoted"


def test_user_deactivate_ends_sessions_and_tokens_at_once(hrt):
    officer = factories.officer("hrt.officer", hrt, "case_officer")
    browser = Client()
    assert browser.login(username="hrt.officer", password=PASSWORD)
    token_create(user=officer, name="feed")
    out = run("user_deactivate", "hrt.officer", "--force", "HRT", "--reason", "left")
    assert "1 session(s) ended, 1 API token(s) revoked" in out
    assert not Session.objects.exists() or all(
        s.get_decoded().get("_auth_user_id") != str(officer.pk) for s in Session.objects.all())
    assert browser.get("/my-tasks/").status_code == 302
    assert ApiToken.objects.get(user=officer).revoked_at is not None
    assert not get_user_model().objects.get(pk=officer.pk).is_active
    entry = last_entry()
    assert (entry.actor_username, entry.force_code, entry.fields) == (
        "system", "HRT", ["is_active", "sessions", "api_tokens"])
    run("user_deactivate", "hrt.officer", "--force", "HRT", "--reactivate", "--reason", "back")
    assert get_user_model().objects.get(pk=officer.pk).is_active


def test_the_last_administrator_cannot_be_deactivated(hrt):
    with pytest.raises(CommandError, match="must keep at least one force administrator"):
        run("user_deactivate", "hrt.admin", "--force", "HRT", "--reason", "x")


def test_profile_set_and_scheme_run(hrt):
    run("team_add", "MASH", "--force", "HRT")
    run("profile_set", "Local 28 days", "--force", "HRT", "--scheme", "csods", "--limit",
        "Overall response=28 days", "--limit", "limit_initial=24 hours")
    profile = TimeLimitProfile.objects.get(force=hrt, name="Local 28 days")
    assert profile.limits == {"limit_overall": "P28D", "limit_initial": "PT24H"}
    with pytest.raises(CommandError, match="There is no time limit 'Lunch'"):
        run("profile_set", "X", "--force", "HRT", "--scheme", "csods", "--limit",
            "Lunch=1 hours")
    run("scheme_run", "csods", "--force", "HRT", "--profile", "Local 28 days", "--lane",
        "Case officer=MASH", "--stop", "--reason", "local guidance; moving systems")
    deployment = SchemeDeployment.objects.get(force=hrt, scheme="csods")
    assert deployment.time_limit_profile == profile and not deployment.running
    assert deployment.lane_teams == {"Case officer": "MASH"}
    assert [e.object_type for e in AccessLog.objects.order_by("-pk")[:2]] == [
        "scheme deployment", "scheme deployment"]
    with pytest.raises(CommandError, match="does not run that scheme"):
        run("scheme_run", "nothing", "--force", "HRT", "--start", "--reason", "x")


def test_team_remove(hrt):
    run("team_add", "Spare", "--force", "HRT")
    assert "Removed the team Spare" in run("team_remove", "spare", "--force", "HRT",
                                           "--reason", "not needed")
    assert not Team.objects.filter(force=hrt, name="Spare").exists()
    with pytest.raises(CommandError, match="move them to another team first"):
        run("team_remove", "Public Protection Unit", "--force", "HRT", "--reason", "x")
