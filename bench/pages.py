"""Server time of pages through Django's test client, SQL per page, and list-query plans.

The test client runs the whole middleware and template stack in-process and keeps the database
connection open between requests, as a server with persistent connections does; the time is
`client.get` from call to rendered response. Requires `django.setup()`.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    count: int


def percentiles(samples_ms: list[float]) -> Timing:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return Timing(p50=statistics.median(samples_ms), p95=cuts[94], count=len(samples_ms))


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
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
    return max(0, content.count(b"<tr>") - 1)


def queries(client: Client, url: str) -> tuple[int, int, list[str]]:
    """SQL statements one GET issues, the rows it shows, and the statements themselves."""
    with CaptureQueriesContext(connection) as captured:
        content = get_ok(client, url)
    return len(captured), rows_shown(content), [q["sql"] for q in captured.captured_queries]


def reconnect_ms(times: int = 30) -> Timing:
    """What a server with CONN_MAX_AGE = 0 pays per request: a new connection and its first query."""
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


def explain(queryset: QuerySet[Any], *, runs: int = 5) -> tuple[float, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the list query: best execution time (ms) and the plan tree."""
    sql, params = queryset.query.sql_with_params()
    best, plan = float("inf"), {}
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            raw = cursor.fetchone()[0]
            result = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            if result["Execution Time"] < best:
                best, plan = result["Execution Time"], result["Plan"]
    return best, _walk(plan)
