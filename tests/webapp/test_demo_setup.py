"""Demo set-up: both demo forces run every scheme folder with its profiles and parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests import factories
from webapp.cases import demo, services
from webapp.clocks.models import CaseClock
from webapp.forces.models import Role, SchemeDeployment, TimeLimitProfile

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
