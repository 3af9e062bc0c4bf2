"""A lost database (PostgreSQL restarting, a failover) is a 503 "try again", never a 500: the API
answers problem+json with Retry-After, pages a branded page that shows no internals."""

from __future__ import annotations

import re

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from webapp.api.auth import token_create

pytestmark = pytest.mark.django_db(transaction=True)
INTERNALS = re.compile(r"\.py\b|0x[0-9a-f]{6,}|Traceback|OperationalError|psycopg|sqlite|"
                       r"connection|127\.0\.0\.1|5432")
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def people():
    hrt = factories.force()
    officer = factories.officer("officer", hrt, "case_officer")
    _, secret = token_create(user=officer, name="test")
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    web = Client(raise_request_exception=False)
    web.force_login(officer)
    return api, web


@pytest.fixture
def unreachable_database():
    """Point the connection at a database that cannot be reached, as during a restart."""
    settings = connection.settings_dict
    saved = {key: settings.get(key) for key in ("NAME", "HOST", "PORT")}
    held = connection.connection
    connection.connection = None  # the next query connects afresh, and fails
    if ON_POSTGRESQL:
        settings["HOST"], settings["PORT"] = "127.0.0.1", "1"
    else:
        settings["NAME"] = "/nonexistent-folder/db.sqlite3"
    yield
    settings.update(saved)
    if connection.connection is not None and connection.connection is not held:
        connection.connection.close()
    connection.connection = held


def _assert_api_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "unavailable" and body["status"] == 503
    assert "Try again" in body["detail"] and not INTERNALS.search(body["detail"])
    assert body["correlation_id"] == response["X-Request-ID"]


def _assert_page_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Disclosure Workflow" in html and "Try again" in html
    assert response["X-Request-ID"] in html
    assert not INTERNALS.search(html.split("<main", 1)[1]), html


def test_api_answers_an_unreachable_database_with_503_problem_and_retry_after(
        people, unreachable_database):
    api, _ = people
    _assert_api_unavailable(api.get("/api/v1/cases"))
    _assert_api_unavailable(api.post("/api/v1/enquiries", {"data": {}}, format="json"))


def test_pages_answer_an_unreachable_database_with_a_branded_try_again_page(
        people, unreachable_database):
    _, web = people
    _assert_page_unavailable(web.get("/cases/"))
    _assert_page_unavailable(web.get("/"))
    _assert_page_unavailable(Client(raise_request_exception=False).post(
        "/login/", {"username": "officer", "password": factories.PASSWORD}))


@pytest.mark.skipif(not ON_POSTGRESQL, reason="terminates a PostgreSQL backend")
def test_a_backend_terminated_by_the_server_is_a_503_and_the_next_request_recovers(people):
    api, web = people
    params = {k: v for k, v in connection.get_connection_params().items()
              if k in ("host", "port", "user", "password", "dbname")}
    try:
        _terminate_each_in_turn(api, web, params)
    finally:
        connection.close()  # a failed assertion must not leave a dead connection behind
    assert api.get("/api/v1/cases").status_code == 200
    assert web.get("/cases/").status_code == 200


def _terminate_each_in_turn(api, web, params) -> None:
    for client, check in ((api, _assert_api_unavailable), (web, _assert_page_unavailable)):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        check(client.get("/api/v1/cases" if client is api else "/cases/"))
        close_old_connections()  # what the end of every real request does (request_finished)
