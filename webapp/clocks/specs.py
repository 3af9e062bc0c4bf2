"""Which clocks a case has: each is a force's time limit over one stage (or the whole case).

``activity`` is the BPMN id of the stage's call activity (None: the whole case) and ``timer`` the
BPMN timer that escalates a breach, which the clock keeps in step with pauses and extensions.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.forces.models import TimeLimitProfile


@dataclass(frozen=True)
class ClockSpec:
    name: str
    label: str
    profile_field: str
    activity: str | None
    timer: str | None


NATIONAL_CLOCKS = (
    ClockSpec("initial", "Initial checks", "initial", "ca_enquiry", "bt_initial_overdue"),
    ClockSpec("interview", "Verification interview", "interview", "ca_interview",
              "bt_interview_overdue"),
    ClockSpec("assessment", "Full checks and assessment", "assessment", "ca_checks", None),
    ClockSpec("decision", "Decision", "decision", "ca_decision", None),
    ClockSpec("overall", "Overall response", "overall", None, "start_overall_limit"),
)
BY_NAME = {spec.name: spec for spec in NATIONAL_CLOCKS}


def clocks_for(profile: TimeLimitProfile) -> list[tuple[ClockSpec, str]]:
    """The clocks a profile sets a limit for, with that limit."""
    return [(spec, limit) for spec in NATIONAL_CLOCKS
            if (limit := getattr(profile, spec.profile_field, ""))]
