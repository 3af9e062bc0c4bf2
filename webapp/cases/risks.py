"""Risk markers: a case whose data sets one carries it (``Case.risks``), its tasks sort first
in the queues (``HumanTask.at_risk``), and the force's decision makers get an alert at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from engine.scheme import Scheme
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.clocks.models import AlertKind, ClockAlert


def flag_risks(case: Case, new: list[str], now: datetime) -> None:
    """Mark the case's ready tasks and raise one alert per newly set marker (inside the step)."""
    HumanTask.objects.filter(case=case, state=TaskState.READY).update(at_risk=True)
    for name in new:
        ClockAlert.objects.get_or_create(case=case, clock=name[:20], kind=AlertKind.RISK,
                                         defaults={"force_id": case.force_id, "at": now})


def risk_labels(scheme: Scheme, names: Iterable[str]) -> list[str]:
    """The words people read for a case's risk markers."""
    return [scheme.risk_label(name) for name in names]
