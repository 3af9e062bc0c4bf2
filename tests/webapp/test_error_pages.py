"""Every error page (400, 403, 404, 500, 503, CSRF) is drawn in the site's layout, with the
protective marking, a heading in plain words and a way on; the API keeps problem+json."""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from tests import factories
from webapp.context import MARKING
from webapp.failure_pages import bad_request, server_error

pytestmark = pytest.mark.django_db

FAILING_URLS = "tests.webapp.failing_urls"


@pytest.fixture
def officer():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    return factories.officer("hrt.officer", hrt, "case_officer")


def _signed_in(user, **kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.force_login(user)
    return client


def _assert_layout(html: str, heading: str, way_on: str, href: str) -> None:
    assert '<a class="govuk-skip-link" href="#main"' in html
    assert 'id="main"' in html
    assert f'role="note" aria-label="Protective marking">{MARKING}</div>' in html
    assert f"{MARKING}: handle under the need-to-know principle" in html  # the footer
    assert re.search(rf'<h1 class="govuk-heading-l">{re.escape(heading)}</h1>', html), html
    assert f'href="{href}">{way_on}</a>' in html
    assert "DEBUG" not in html and "Traceback" not in html


def test_unknown_address_signed_in_is_a_404_page_with_navigation_and_a_way_to_my_tasks(officer):
    response = _signed_in(officer).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    _assert_layout(html, "Page not found", "Go to your start page", "/")
    assert '<nav aria-label="Main"' in html and ">hrt.officer</span>" in html


def test_unknown_address_signed_out_is_a_404_page_that_offers_sign_in():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    _assert_layout(html, "Page not found", "Sign in", "/login/")
    assert '<nav aria-label="Main"' not in html


def test_a_page_the_role_may_not_see_is_a_404_page_in_the_layout_not_a_bare_not_found(officer):
    response = _signed_in(officer).get("/dashboard/")
    assert response.status_code == 404
    _assert_layout(response.content.decode(), "Page not found", "Go to your start page", "/")


@pytest.mark.urls(FAILING_URLS)
def test_a_refusal_is_a_403_page_in_plain_words(officer):
    response = _signed_in(officer).get("/test-only/refuse/")
    assert response.status_code == 403
    _assert_layout(response.content.decode(), "You cannot see this page",
                   "Go to your start page", "/")


@pytest.mark.urls(FAILING_URLS)
def test_a_crash_is_a_500_page_with_a_reference_and_no_internals(officer):
    response = _signed_in(officer).get("/test-only/crash/", HTTP_X_REQUEST_ID="req-crash-1")
    assert response.status_code == 500
    html = response.content.decode()
    _assert_layout(html, "Sorry, there is a problem with the service", "Go to your start page", "/")
    assert "req-crash-1" in html
    assert "deliberate failure" not in html and "RuntimeError" not in html


def test_handler500_called_directly_draws_the_layout_without_touching_the_session():
    request = RequestFactory().get("/anything/")
    response = server_error(request)
    assert response.status_code == 500
    _assert_layout(response.content.decode(), "Sorry, there is a problem with the service",
                   "Go to your start page", "/")


def test_handler400_draws_the_layout():
    request = RequestFactory().get("/anything/")
    request.user = None
    response = bad_request(request)
    assert response.status_code == 400
    _assert_layout(response.content.decode(), "There is a problem with the request",
                   "Sign in", "/login/")


def test_a_form_posted_with_a_bad_csrf_token_gets_a_403_page_that_says_what_to_do(officer):
    client = _signed_in(officer, enforce_csrf_checks=True)
    client.get("/")  # the CSRF cookie is set
    response = client.post("/logout/", {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    html = response.content.decode()
    _assert_layout(html, "Your form could not be sent", "Go to your start page", "/")
    assert "reload the page and try again" in html
    assert "More information is available" not in html


def test_a_form_posted_signed_out_without_a_csrf_cookie_offers_sign_in():
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x"})
    assert response.status_code == 403
    _assert_layout(response.content.decode(), "Your form could not be sent", "Sign in",
                   "/login/")


def test_the_api_keeps_problem_json_for_csrf_and_unknown_routes(officer):
    client = _signed_in(officer, enforce_csrf_checks=True)
    refused = client.post("/api/v1/enquiries", {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


def test_a_lost_database_is_a_503_service_unavailable_page_in_the_layout():
    request = RequestFactory().get("/anything/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    _assert_layout(html, "Sorry, the service is unavailable", "Go to your start page", "/")
    assert "Try again in a few seconds." in html and "server closed" not in html
