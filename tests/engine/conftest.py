"""Engine fixtures: a small process with lanes, forms, a timer, a message and a gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Definition, load_folder
from engine.definitions import read_folder

FIXTURES = Path(__file__).parent / "fixtures"
ALL_LANES = frozenset({"Case officer", "Decision maker"})


@pytest.fixture
def mini_files() -> dict[str, bytes]:
    return read_folder(FIXTURES / "mini")


@pytest.fixture
def mini() -> Definition:
    return load_folder(FIXTURES / "mini")


@pytest.fixture
def start_data() -> dict:
    return {"applicant": {"name": "Ann Example"}, "limit_initial": "PT24H", "outcome_codes": []}
