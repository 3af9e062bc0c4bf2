"""The ``/metrics`` answer for the Prometheus scraper: the series counted in this process (or,
in multi-process mode, in every process, from PROMETHEUS_MULTIPROC_DIR) and the series read
from the database at scrape time (timers due and their lag, open incidents, heartbeat ages,
access-log entries), which are right however many processes there are.

Not public: admitted from METRICS_ALLOWED_IPS (addresses or networks; loopback by default) or
with the bearer token METRICS_TOKEN. A request that came through a proxy (it has
X-Forwarded-For) is admitted by address only when TRUSTED_PROXY_COUNT says which forwarded
address to believe, so that a proxy on loopback does not open the metrics to everyone behind
it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from webapp.accounts.addresses import client_address
from webapp.health_readings import (
    access_log_entries,
    heartbeat_ages,
    open_incidents,
    timer_backlog,
)

log = logging.getLogger(__name__)


class DatabaseReadings(Collector):
    """Gauges computed from the database when scraped (a few indexed reads)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dw_metrics_database_up",
                               "1 if the scrape could read the database, else 0.")
        try:
            now = timezone.now()
            backlog = timer_backlog(now)
            ages = heartbeat_ages(now)
            incidents, entries = open_incidents(), access_log_entries()
        except DatabaseError as exc:
            log.warning("metrics: database readings failed: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("dw_timers_due", "Open cases with a timer or clock warning "
                                "whose time has come and which has not fired yet.",
                                value=backlog.due)
        yield GaugeMetricFamily("dw_timer_lag_seconds", "How long the oldest due timer has "
                                "waited to fire (0 when none is due).", value=backlog.lag_seconds)
        yield GaugeMetricFamily("dw_open_incidents", "Background steps that failed and wait "
                                "for a person (unresolved incidents).", value=incidents)
        heartbeat = GaugeMetricFamily("dw_worker_heartbeat_age_seconds", "Seconds since a "
                                      "background worker last reported, by heartbeat.",
                                      labels=["heartbeat"])
        for name, age in sorted(ages.items()):
            heartbeat.add_metric([name], age)
        yield heartbeat
        yield CounterMetricFamily("dw_access_log_writes", "Entries appended to the s.62 "
                                  "access log (committed).", value=entries)


def admitted(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(
            given.removeprefix("Bearer ").strip().encode(), token.encode()):
        return True
    if "HTTP_X_FORWARDED_FOR" in request.META and settings.TRUSTED_PROXY_COUNT <= 0:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False)
               for allowed in settings.METRICS_ALLOWED_IPS)


def counted_exposition() -> bytes:
    """The series counted as requests run: this process's, or every process's in
    multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
        return generate_latest(counted)
    return generate_latest(REGISTRY)


def exposition() -> bytes:
    readings = CollectorRegistry(auto_describe=False)
    readings.register(DatabaseReadings())
    return counted_exposition() + generate_latest(readings)


def metrics_response(request: HttpRequest) -> HttpResponse:
    if not admitted(request):
        return HttpResponse("Metrics are for the monitoring system only.\n", status=403,
                            content_type="text/plain; charset=utf-8")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
