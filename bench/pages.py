"""Server time of pages through Django's test client, SQL per page, and list-query plans.

The test client runs the whole middleware and template stack in-process and keeps the database
connection open between requests, as a server with persistent connections does; the time is
`client.get` from call to rendered response. Requires `django.setup()`.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.db import connection, connections
from django.db.models import QuerySet
from django.template.backends.django import Template as DjangoTemplate
from django.test import Client
from django.test.utils import CaptureQueriesContext

from engine import ProcessInstance


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    count: int


def percentiles(samples_ms: list[float]) -> Timing:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return Timing(p50=statistics.median(samples_ms), p95=cuts[94], count=len(samples_ms))


def client_for(user: Any) -> Client:
    """A client signed in as ``user`` with the second factor given (as after the code page)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True,
                                                 defaults={"name": "Authenticator app"})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def time_calls(call: Callable[[], object], times: int, *, warm: int = 10) -> Timing:
    for _ in range(warm):
        call()
    spent = []
    for _ in range(times):
        began = time.perf_counter()
        call()
        spent.append((time.perf_counter() - began) * 1000)
    return percentiles(spent)


def work_refs(member: Any, samples_n: int) -> list[str]:
    """References of the cases a member works (their tasks, then the queue's first
    ``samples_n``), shuffled the same way every run: the case pages a benchmark opens."""
    from webapp.cases import selectors

    refs = [t.case.reference for t in selectors.my_tasks(member)]
    refs += [t.case.reference for t in selectors.queue(member)[:samples_n]]
    random.Random(7).shuffle(refs)
    return refs


def get_ok(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def time_pages(client: Client, urls: Iterable[str], *, warm: int = 10) -> Timing:
    """One GET per url (cycling), after ``warm`` untimed ones."""
    urls = list(urls)
    for url in urls[:warm]:
        get_ok(client, url)
    spent = []
    for url in urls:
        began = time.perf_counter()
        get_ok(client, url)
        spent.append((time.perf_counter() - began) * 1000)
    return percentiles(spent)


def rows_shown(content: bytes) -> int:
    """Task rows in an inbox table (one header row plus one row per task)."""
    return max(0, content.count(b"<tr>") + content.count(b"<tr ") - 1)


@dataclass(frozen=True)
class Sql:
    """What one request costs in SQL: statements (the usual count), rows shown, median SQL ms,
    workflow deserializations per request, and the statements whose median time is at least
    SLOW_MS (median ms, sql, params)."""

    statements: int
    rows: int
    ms: float
    loads: float
    slow: list[tuple[float, str, Any]]
    render_ms: float = 0.0


SLOW_MS = 0.5


class _SqlClock:
    """An execute wrapper that times every statement."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.log.append(((time.perf_counter() - began) * 1000, sql, params))


class _RenderClock:
    """Stands in for the Django template backend's render, adding up its time."""

    original = staticmethod(DjangoTemplate.render)

    def __init__(self) -> None:
        self.seconds = 0.0

    def __get__(self, template: DjangoTemplate, owner: type | None = None) -> Callable[..., str]:
        def render(*args: Any, **kwargs: Any) -> str:
            began = time.perf_counter()
            try:
                return self.original(template, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began
        return render


def queries(client: Client, urls: list[str]) -> Sql:
    """Capture the SQL of one GET per url, counting workflow loads (ProcessInstance.load) and
    timing template rendering (with any SQL that it triggers)."""
    spent, counts, rendering, content = [], [], [], b""
    by_position: dict[int, list[tuple[float, str, Any]]] = {}
    render = _RenderClock()
    for url in urls[:3]:
        get_ok(client, url)  # first requests of a session may do one-off work
    with (mock.patch.object(ProcessInstance, "load", wraps=ProcessInstance.load) as spy,
          mock.patch.object(DjangoTemplate, "render", render)):
        for url in urls:
            clock = _SqlClock()
            render.seconds = 0.0
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
                content = get_ok(client, url)
            counts.append(len(captured))
            spent.append(sum(ms for ms, _, _ in clock.log))
            rendering.append(render.seconds * 1000)
            for position, entry in enumerate(clock.log):
                by_position.setdefault(position, []).append(entry)
    slow = []
    for entries in by_position.values():
        median = statistics.median(ms for ms, _, _ in entries)
        if median >= SLOW_MS and entries[0][1].lstrip().upper().startswith("SELECT"):
            slow.append((median, entries[0][1], entries[0][2]))
    return Sql(statements=statistics.mode(counts), rows=rows_shown(content),
               ms=statistics.median(spent),
               loads=spy.call_count / len(urls), slow=sorted(slow, reverse=True),
               render_ms=statistics.median(rendering))


def call_sql(call: Callable[[], object], times: int) -> Sql:
    """SQL statements (median), SQL ms (median) and workflow loads per call of a service."""
    counts, spent = [], []
    with mock.patch.object(ProcessInstance, "load", wraps=ProcessInstance.load) as spy:
        for _ in range(times):
            clock = _SqlClock()
            with connection.execute_wrapper(clock):
                call()
            counts.append(len(clock.log))
            spent.append(sum(ms for ms, _, _ in clock.log))
    return Sql(statements=round(statistics.median(counts)), rows=0,
               ms=statistics.median(spent), loads=spy.call_count / times, slow=[])


def reconnect_ms(times: int = 30) -> Timing:
    """What a server with CONN_MAX_AGE = 0 pays per request: a connection and its first query."""
    def once() -> None:
        connections.close_all()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    return time_calls(once, times, warm=3)


def _walk(node: dict[str, Any], depth: int = 0) -> list[str]:
    what = node["Node Type"]
    if "Index Name" in node:
        what += f" using {node['Index Name']}"
    if "Relation Name" in node:
        what += f" on {node['Relation Name']}"
    detail = [f"rows {node.get('Actual Rows', 0):,}"]
    if node.get("Actual Loops", 1) > 1:
        detail[0] += f" × {node['Actual Loops']:,} loops"
    for key in ("Rows Removed by Filter", "Rows Removed by Index Recheck"):
        if node.get(key):
            detail.append(f"{key.lower()} {node[key]:,}")
    if node.get("Sort Method"):
        detail.append(f"sort {node['Sort Method']}")
    if node.get("Presorted Key"):
        detail.append(f"presorted {', '.join(node['Presorted Key'])}")
    if node.get("Filter"):
        detail.append(f"filter {node['Filter']}")
    lines = [f"{'  ' * depth}- {what} ({'; '.join(detail)})"]
    for child in node.get("Plans", []):
        lines += _walk(child, depth + 1)
    return lines


def short_sql(sql: str, width: int = 200) -> str:
    """The statement without its select list, on one line, cut to ``width``."""
    text = " ".join(re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql.strip(), count=1,
                           flags=re.S).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def explain_sql(sql: str, params: Any, *, runs: int = 5) -> tuple[float, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of a SELECT: best execution time (ms) and the plan tree."""
    best, result = float("inf"), {}
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            raw = cursor.fetchone()[0]
            run = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            if run["Execution Time"] < best:
                best, result = run["Execution Time"], run
    lines = _walk(result["Plan"])
    if "JIT" in result:  # the planner's cost estimate crossed jit_above_cost
        lines.append(f"- JIT compilation {result['JIT']['Timing']['Total']:.1f} ms of it")
    return best, lines


def explain(queryset: QuerySet[Any], *, runs: int = 5) -> tuple[float, list[str]]:
    """The plan of a queryset's query (see explain_sql)."""
    sql, params = queryset.query.sql_with_params()
    return explain_sql(sql, params, runs=runs)
