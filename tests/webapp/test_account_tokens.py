"""API tokens are issued and revoked on the person's own account page and by `manage.py
api_token`; the secret is shown once, a revoked token is refused, each change is logged."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests import factories
from webapp.api.models import ApiToken
from webapp.audit.models import AccessLog

pytestmark = pytest.mark.django_db
SECRET = re.compile(r"dw_[0-9a-f]{12}_[\w-]+")


@pytest.fixture
def hrt():
    return factories.force()


@pytest.fixture
def officer(hrt):
    return factories.officer("officer", hrt, "case_officer")


def api_status(secret: str) -> int:
    return Client().get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_the_header_links_to_the_account_page(officer):
    html = factories.page_html(officer, "/my-tasks/")
    assert '<a href="/account/" class="govuk-header__link header__account">Your account</a>' \
        in html


def test_a_token_issued_on_the_page_is_shown_once_and_works(officer):
    client = factories.signed_in(officer)
    assert "You have no API tokens." in client.get("/account/").content.decode()

    issued = client.post("/account/", {"name": "Records system export"}).content.decode()

    secret = SECRET.search(issued).group(0)
    assert "Token 'Records system export' issued" in issued
    assert "This is the only time it is shown" in issued
    assert api_status(secret) == 200
    listed = client.get("/account/").content.decode()
    assert "Records system export" in listed and SECRET.search(listed) is None
    assert "Never" not in listed  # it has been used by the call above
    entry = AccessLog.objects.get(object_type="api token")
    assert entry.actor == officer and entry.force_code == "HRT"
    assert entry.justification == "issued (account page) for officer"
    assert secret not in entry.justification and secret.split("_")[2] not in str(entry.fields)


def test_a_token_needs_a_name(officer):
    answer = factories.signed_in(officer).post("/account/", {"name": "  "})
    assert answer.status_code == 400
    assert "Enter a name for the token" in answer.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_revoked_on_the_page_is_refused_by_the_api(officer):
    client = factories.signed_in(officer)
    secret = SECRET.search(client.post("/account/", {"name": "Old feed"}).content.decode()
                           ).group(0)
    token = ApiToken.objects.get()

    revoked = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)

    page = revoked.content.decode()
    assert "The token &#x27;Old feed&#x27; is revoked" in page
    assert "You have no API tokens." in page
    assert api_status(secret) == 401
    assert AccessLog.objects.filter(object_type="api token",
                                    justification="revoked (account page) for officer").exists()


def test_nobody_revokes_another_persons_token_from_their_page(hrt, officer):
    other = factories.officer("other", hrt, "case_officer")
    client = factories.signed_in(officer)
    client.post("/account/", {"name": "Mine"})
    token = ApiToken.objects.get()

    answer = factories.signed_in(other).post(f"/account/tokens/{token.pk}/revoke/", follow=True)

    assert "That token was not found" in answer.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Mine" not in factories.page_html(other, "/account/")


def test_the_command_issues_lists_and_revokes(officer):
    out = StringIO()
    call_command("api_token", "issue", "--user", "officer", "--name", "Nightly report",
                 stdout=out)
    secret = SECRET.search(out.getvalue()).group(0)
    assert api_status(secret) == 200

    listed = StringIO()
    call_command("api_token", "list", "--user", "officer", stdout=listed)
    token = ApiToken.objects.get()
    assert f"{token.pk}\t{token.prefix}\t" in listed.getvalue()
    assert "Nightly report" in listed.getvalue() and secret not in listed.getvalue()

    call_command("api_token", "revoke", "--user", "officer", "--token", token.prefix,
                 stdout=StringIO())
    assert api_status(secret) == 401
    assert list(AccessLog.objects.filter(object_type="api token")
                .order_by("pk").values_list("justification", "actor_username")) == [
        ("issued (command) for officer", "system"), ("revoked (command) for officer", "system")]


def test_the_command_says_what_is_wrong(officer):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("api_token", "list", "--user", "nobody")
    with pytest.raises(CommandError, match="--name"):
        call_command("api_token", "issue", "--user", "officer")
    with pytest.raises(CommandError, match="has no token 'abc'"):
        call_command("api_token", "revoke", "--user", "officer", "--token", "abc")
