"""The suite's own ordering: the slowest files of the last run are handed out first, a file
keeps its tests together and in order, a new file goes first, and only the controller writes."""

from __future__ import annotations

from types import SimpleNamespace

from tests import slowest_first


class Cache:
    def __init__(self, seconds: dict[str, float] | None = None) -> None:
        self.stored = {slowest_first.CACHE_KEY: seconds} if seconds is not None else {}

    def get(self, key, default):
        return self.stored.get(key, default)

    def set(self, key, value) -> None:
        self.stored[key] = value


def _items(*nodeids: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(nodeid=n) for n in nodeids]


def test_the_slowest_files_come_first_and_a_file_keeps_its_order():
    items = _items("a.py::one", "a.py::two", "b.py::one", "new.py::one", "c.py::one",
                   "b.py::two")
    config = SimpleNamespace(cache=Cache({"a.py": 1.0, "b.py": 30.0, "c.py": 5.0}))
    slowest_first.pytest_collection_modifyitems(config, items)
    assert [i.nodeid for i in items] == ["b.py::one", "new.py::one", "b.py::two", "c.py::one",
                                         "a.py::one", "a.py::two"]


def test_without_a_record_the_order_is_left_alone():
    items = _items("b.py::x", "a.py::y")
    slowest_first.pytest_collection_modifyitems(SimpleNamespace(cache=Cache()), items)
    slowest_first.pytest_collection_modifyitems(SimpleNamespace(), items)  # no cache plugin
    assert [i.nodeid for i in items] == ["b.py::x", "a.py::y"]


def test_the_controller_records_each_files_seconds_and_a_worker_does_not(monkeypatch):
    monkeypatch.setattr(slowest_first, "_spent", slowest_first.defaultdict(float))
    for nodeid, seconds in (("a.py::one", 1.5), ("a.py::one", 0.5), ("b.py::two", 2.0)):
        slowest_first.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))
    worker = SimpleNamespace(config=SimpleNamespace(cache=Cache({"c.py": 9.0}),
                                                    workerinput={}))
    slowest_first.pytest_sessionfinish(worker)
    assert worker.config.cache.get(slowest_first.CACHE_KEY, {}) == {"c.py": 9.0}
    controller = SimpleNamespace(config=SimpleNamespace(cache=Cache({"c.py": 9.0})))
    slowest_first.pytest_sessionfinish(controller)
    assert controller.config.cache.get(slowest_first.CACHE_KEY, {}) == {
        "c.py": 9.0, "a.py": 2.0, "b.py": 2.0}
