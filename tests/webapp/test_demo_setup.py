"""Demo set-up: both demo forces run every scheme folder with its profiles and parameters, and
each has two policy leads, so a deployment can be asked for and approved."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests import factories
from webapp.cases import demo, services
from webapp.clocks.models import CaseClock
from webapp.forces.models import Membership, Role, SchemeDeployment, TimeLimitProfile
from webapp.processes import services as studio

pytestmark = pytest.mark.django_db


def test_both_demo_forces_run_every_scheme_with_their_profiles():
    users = demo._setup()
    folders = sorted(p.parent.name for p in Path(settings.PROCESSES_DIR).glob("*/scheme.json"))
    assert "csods" in folders
    for code in ("HRT", "WAR"):
        runs = sorted(SchemeDeployment.objects.filter(force__code=code)
                      .values_list("scheme", flat=True))
        assert runs == folders
    assert set(TimeLimitProfile.objects.filter(scheme="csods").values_list("code", flat=True)) \
        == {"national-2011", "west-yorkshire", "national-2023"}
    war = SchemeDeployment.objects.get(force__code="WAR", scheme="csods")
    assert (war.time_limit_profile.code, war.parameters) == (
        "national-2023", {"decision_route": "panel"})
    hrt = SchemeDeployment.objects.get(force__code="HRT", scheme="csods")
    assert hrt.time_limit_profile.code == "national-2011"

    # the profile's limits reach the clocks of a new case
    case = services.case_start(user=users["WAR"][Role.CONTACT_HANDLER],
                               data=factories.sample("enquiry"), scheme="csods")
    assert CaseClock.objects.get(case=case, clock="overall").limit == "P28D"
    assert demo._setup()["HRT"]  # running it again changes nothing it made
    assert SchemeDeployment.objects.filter(force__code="HRT").count() == len(folders)


def test_each_demo_force_has_two_policy_leads_who_complete_a_four_eyes_deployment(client):
    demo._setup()
    for code, name in demo.FORCES:
        leads = sorted(m.user.username for m in Membership.objects.filter(force__code=code)
                       .select_related("user") if Role.POLICY_LEAD in m.roles)
        assert leads == [f"{code.lower()}.policy", f"{code.lower()}.policy2"]
        assert (f"{code.lower()}.policy2", name, "Policy lead") in demo.demo_users()
        first, second = (get_user_model().objects.get(username=u) for u in leads)
        assert client.login(username=second.username, password=demo.PASSWORD)
        factories.second_factor_given(client, second)  # the code from their app, as given
        running = SchemeDeployment.objects.get(force__code=code, scheme="csods").active_version
        draft = studio.draft_create(user=first, version_id=running.pk)
        text = draft.files["csods.bpmn"].replace('name="Decide on disclosure"',
                                                 f'name="Decide on disclosure ({code})"', 1)
        studio.draft_save(user=first, draft_id=draft.pk, files={"csods.bpmn": text})
        version = studio.version_publish(user=first, draft_id=draft.pk, note="Clearer name")
        request = studio.deployment_request(user=first, version_id=version.pk, note="Pilot")
        decide = f"/studio/deployments/{request.pk}/decide/"
        assert f'action="{decide}"' in client.get("/studio/").content.decode()  # offered
        client.post(decide, {"approve": "yes"})
        request.refresh_from_db()
        assert (request.status, request.decided_by) == ("deployed", second)
        assert SchemeDeployment.objects.get(force__code=code, scheme="csods").active_version \
            == version
