"""`manage.py force_sso`: a force's single sign-on issuer and group mappings, set from the
command line and recorded in the access log."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from webapp.audit.models import AccessLog
from webapp.forces.models import Team

pytestmark = pytest.mark.django_db
ISSUER = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"


def test_sets_the_issuer_and_group_mappings_and_logs_the_change() -> None:
    force = factories.force()
    Team.objects.create(force=force, name="Safeguarding hub")
    call_command("force_sso", "hrt", "--issuer", ISSUER, "--group-role", "g1=case_officer",
                 "--group-role", "g1=auditor", "--group-team", "g1=Safeguarding hub")
    force.refresh_from_db()
    assert force.sso_issuer == ISSUER
    assert force.sso_group_roles == {"g1": ["case_officer", "auditor"]}
    assert force.sso_group_teams == {"g1": "Safeguarding hub"}
    entry = AccessLog.objects.get(object_type="force")
    assert entry.force_code == "HRT" and set(entry.fields) == {
        "sso_issuer", "sso_group_roles", "sso_group_teams"}


@pytest.mark.parametrize(("args", "message"), [
    (["--group-role", "g1=superuser"], "'superuser' is not a role"),
    (["--group-team", "g1=Nowhere"], "has no team called 'Nowhere'"),
    (["--group-role", "g1"], "Write each role as <group id>=<role>"),
])
def test_refuses_what_it_cannot_map_and_changes_nothing(args: list[str], message: str) -> None:
    force = factories.force()
    with pytest.raises(CommandError, match=message):
        call_command("force_sso", "HRT", "--issuer", ISSUER, *args)
    force.refresh_from_db()
    assert force.sso_issuer == "" and not AccessLog.objects.filter(object_type="force").exists()


def test_two_forces_cannot_trust_one_issuer() -> None:
    factories.force()
    factories.force("BDF", "Bedfordshire")
    call_command("force_sso", "HRT", "--issuer", ISSUER)
    with pytest.raises(CommandError, match="Another force already trusts that issuer"):
        call_command("force_sso", "BDF", "--issuer", ISSUER)
