"""Slowest test files first: pytest-xdist hands out whole files (``--dist loadfile``) in the
order they were collected, so a long file collected last (the words crawl, the write-route
sweep, the browser journeys) ran alone at the end while the other worker sat idle. Each run
records how long each file took (pytest's cache, ``.pytest_cache``); the next run collects the
files longest first, so the two workers finish together. Tests within a file keep their order,
a file never seen before goes first (it may be long), and without the cache (``-p
no:cacheprovider``) nothing changes. The order is the same in every xdist worker: all read the
same cache, written only by the controller when the session ends."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

CACHE_KEY = "disclosure/seconds-per-file"
_spent: defaultdict[str, float] = defaultdict(float)


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")  # an xdist worker has workerinput


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cache = getattr(config, "cache", None)
    seconds: dict[str, float] = (cache.get(CACHE_KEY, {}) if cache is not None else {}) or {}
    if not seconds:
        return
    unknown = max(seconds.values())
    place = {item.nodeid: n for n, item in enumerate(items)}
    items.sort(key=lambda item: (-seconds.get(_file(item.nodeid), unknown), place[item.nodeid]))


def pytest_runtest_logreport(report: Any) -> None:
    _spent[_file(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = getattr(session.config, "cache", None)
    if cache is None or not _controller(session.config) or not _spent:
        return
    seconds = dict(cache.get(CACHE_KEY, {}) or {})
    seconds.update({name: round(spent, 2) for name, spent in _spent.items()})
    cache.set(CACHE_KEY, seconds)
