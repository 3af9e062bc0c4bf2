"""What a load balancer and a Prometheus scraper see: /healthz answers, /readyz says ready only
when the database, the broker, the timer sweep and the timers are fine (and says which is not),
and /metrics is for the monitoring system only and carries the named series."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.factories import ROOT
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case
from webapp.clocks.heartbeat import heartbeat_record

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"  # noqa: S105 - a test value


@pytest.fixture
def fresh_heartbeat():
    heartbeat_record()


def test_healthz_answers_without_signing_in_or_touching_the_database(
        client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies


def test_readyz_is_ready_when_database_broker_worker_and_timers_are_fine(client,
                                                                         fresh_heartbeat):
    before = AccessLog.objects.count()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "checks": {
        "database": "ok", "broker": "ok", "worker": "ok", "timers": "ok"}}
    assert AccessLog.objects.count() == before
    assert "sessionid" not in response.cookies


def test_probes_answer_whatever_host_name_the_load_balancer_uses(client, fresh_heartbeat):
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200


def test_readyz_is_not_ready_when_the_worker_heartbeat_is_stale(client, settings):
    settings.READY_HEARTBEAT_SECONDS = 60
    heartbeat_record(timezone.now() - timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready" and body["failed"] == ["worker"]
    assert body["checks"]["worker"].startswith(
        "the background worker last ran the timer sweep 300 seconds ago (limit 60)")


def test_readyz_is_not_ready_before_any_worker_has_run(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == (
        "no background worker has run the timer sweep yet")


def test_readyz_is_not_ready_when_a_due_timer_waits_past_the_bound(client, settings,
                                                                   fresh_heartbeat):
    settings.READY_TIMER_LAG_SECONDS = 120
    hrt = factories.force()
    case = services.case_start(user=factories.officer("officer", hrt, "case_officer"),
                               data={"concern": "He stays over at weekends",
                                     "children": [{"name": "Amy", "age": 7}]})
    Case.objects.filter(pk=case.pk).update(next_due_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["timers"]
    assert body["checks"]["timers"].startswith("1 due timer(s) waiting, the oldest for 6")
    assert body["checks"]["timers"].endswith("seconds (limit 120)")
    assert case.reference not in response.content.decode()


def test_readyz_names_an_unreachable_broker_without_giving_its_address(client, settings,
                                                                       fresh_heartbeat):
    settings.CELERY_BROKER_URL = "redis://:s3cret-password@127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "the message broker cannot be reached"
    assert response.json()["failed"] == ["broker"]
    text = response.content.decode()
    assert "s3cret" not in text and "127.0.0.1" not in text


def test_probes_refuse_other_methods(client):
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# --- metrics -------------------------------------------------------------------------------


def test_metrics_are_refused_from_an_address_not_allowed(settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 403
    assert b"dw_" not in response.content


def test_metrics_are_refused_through_a_proxy_unless_its_forwarded_address_is_trusted(settings):
    settings.METRICS_ALLOWED_IPS, settings.TRUSTED_PROXY_COUNT = ["127.0.0.1"], 0
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.get("/metrics").status_code == 403


def test_metrics_are_given_with_the_bearer_token_from_anywhere(settings):
    settings.METRICS_ALLOWED_IPS, settings.METRICS_TOKEN = [], TOKEN
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert outsider.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_give_the_named_series_after_a_request_and_a_failed_login(settings,
                                                                          fresh_heartbeat):
    # given: a page request and a failed sign-in
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "::1"]
    hrt = factories.force()
    factories.officer("officer", hrt, "case_officer")
    browser = Client()
    assert browser.get("/login/").status_code == 200
    assert browser.post("/login/", {"username": "officer", "password": "wrong"}).status_code == 200
    # when
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    # then
    assert response.status_code == 200
    text = response.content.decode()
    assert 'dw_http_request_duration_seconds_count{method="GET",route="login",status="200"}' \
        in text
    assert 'dw_failed_logins_total{reason="wrong_password"}' in text
    for series in ("dw_timers_due 0.0", "dw_timer_lag_seconds 0.0", "dw_open_incidents 0.0",
                   'dw_worker_heartbeat_age_seconds{heartbeat="timer-sweep"}',
                   "dw_access_log_writes_total", "dw_metrics_database_up 1.0"):
        assert series in text, series
    assert "officer" not in text


def test_metrics_count_each_failed_login(settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    scraper = Client(REMOTE_ADDR="127.0.0.1")

    def failed() -> float:
        for line in scraper.get("/metrics").content.decode().splitlines():
            if line.startswith('dw_failed_logins_total{reason="wrong_password"}'):
                return float(line.split()[-1])
        return 0.0

    before = failed()
    Client().post("/login/", {"username": "nobody", "password": "wrong"})
    assert failed() == before + 1


def test_metrics_from_several_processes_are_added_up_in_multiprocess_mode(tmp_path):
    """Under gunicorn each worker process counts in files under PROMETHEUS_MULTIPROC_DIR; the
    scrape, answered by any one of them, gives the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    count = ("from webapp.metrics import FAILED_LOGINS; "
             "FAILED_LOGINS.labels('wrong_password').inc()")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=ROOT)
    scrape = ("import django; django.setup(); "
              "from webapp.metrics_scrape import counted_exposition; "
              "print(counted_exposition().decode())")
    text = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, cwd=ROOT,
                          capture_output=True, text=True).stdout
    assert 'dw_failed_logins_total{reason="wrong_password"} 2.0' in text
