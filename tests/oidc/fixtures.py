"""The test identity provider with three people of Hertfordshire, and the force trusting it:
fixtures for the single sign-on tests (pages and browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.oidc.identity_provider import identity_provider
from webapp.forces.models import Force, Team
from webapp.oidc import provider

CLIENT_ID = "disclosure-workflow"
CLIENT_SECRET = "a-client-secret-long-enough-for-the-provider-0123456789"  # noqa: S105
PASSWORD = "correct horse battery staple"  # noqa: S105
CASE_OFFICERS, DECIDERS, SAFEGUARDING, CANTEEN = "grp-1001", "grp-1002", "grp-2001", "grp-9999"
USERS = {
    "ann": {"password": PASSWORD, "claims": {
        "oid": "8d2c-ann", "groups": [CANTEEN, CASE_OFFICERS, SAFEGUARDING],
        "preferred_username": "ann.archer@herts.example", "given_name": "Ann",
        "family_name": "Archer", "email": "ann.archer@herts.example"}},
    "dee": {"password": PASSWORD, "claims": {
        "oid": "8d2c-dee", "groups": [DECIDERS], "preferred_username": "dee@herts.example",
        "name": "Dee Dexter"}},
    "bob": {"password": PASSWORD, "claims": {
        "oid": "8d2c-bob", "groups": [CANTEEN], "preferred_username": "bob@herts.example"}},
}


@pytest.fixture(scope="module", name="issuer")
def provider_issuer(live_server: Any) -> Iterator[str]:
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": [f"{live_server.url}/sso/callback/"]}
    with identity_provider(clients=[client], users=USERS) as url:
        yield url


@pytest.fixture(name="sso")
def sso_force(settings: Any, issuer: str, transactional_db: None) -> Force:
    """Single sign-on on, and Hertfordshire trusting the test provider's tokens."""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = issuer
    provider.discovery_forget()
    force = factories.force()
    Team.objects.create(force=force, name="Safeguarding")
    force.sso_issuer = issuer
    force.sso_group_roles = {CASE_OFFICERS: "case_officer", DECIDERS: ["decision_maker"]}
    force.sso_group_teams = {SAFEGUARDING: "Safeguarding"}
    force.save()
    return force
