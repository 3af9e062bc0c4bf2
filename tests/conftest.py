"""Suite-wide settings: keep SpiffWorkflow's chatty INFO logging (with task data) out of tests."""

import logging

logging.getLogger("spiff").setLevel(logging.WARNING)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _forget_cached_versions():
    """Versions are cached by primary key (immutable, never reused in a real database); test
    databases roll back and reuse keys, so each test starts with an empty cache."""
    from webapp.processes import registry

    registry._by_version.clear()
    yield
    registry._by_version.clear()
