"""What-if simulation: figures that can be worked out by hand, staffing and working hours
having the effect they must, and the paths taken from a real diagram's scenarios."""

from __future__ import annotations

from pathlib import Path as FilePath

import pytest

from engine import load_files
from engine.definitions import read_folder
from engine.whatif import (
    Arrival,
    ClockRule,
    Inputs,
    Path,
    PathStep,
    WhatIfInvalid,
    simulate,
)
from engine.whatif_paths import clock_rules, paths_of
from engine.working_hours import DAY, HOUR, OFFICE_HOURS, WorkingHours

PROCESSES = FilePath(__file__).resolve().parents[2] / "processes"
ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")
ALWAYS = WorkingHours(frozenset(range(7)), 0, 24 * 60)
ONE_STEP = Path("one", "One step", frozenset(), (PathStep("work", "Work", "officer", 0),))
WHOLE_CASE_DAY = ClockRule("overall", "Overall", DAY)


def _inputs(arrivals: list[float], *, service: list[float], officers: int = 1,
            hours: WorkingHours = ALWAYS, paths: tuple[Path, ...] = (ONE_STEP,),
            clocks: tuple[ClockRule, ...] = (WHOLE_CASE_DAY,), seed: int = 1) -> Inputs:
    return Inputs(paths, [Arrival(a) for a in arrivals], {"work": service, "other": service},
                  {"officer": officers}, hours, clocks, seed)


def test_one_officer_taking_a_day_with_a_case_every_two_days_has_no_queue_and_all_on_time():
    result = simulate(_inputs([i * 2 * DAY for i in range(10)], service=[DAY]))

    clock, role = result.clocks[0], result.role_figures[0]
    assert (clock.cases, clock.on_time, clock.share) == (10, 10, 1.0)
    assert (role.max_queue, role.mean_queue, role.mean_wait, role.tasks) == (0, 0.0, 0.0, 10)
    # 10 days of work over the 19 days from the first case to the last closing
    assert role.utilisation == pytest.approx(10 / 19)


def test_cases_arriving_faster_than_they_are_worked_queue_up_and_breach():
    # a case every 12 hours, each taking a day: case k closes at day k+1, k/2 days after it came
    result = simulate(_inputs([i * DAY / 2 for i in range(10)], service=[DAY]))

    clock, role = result.clocks[0], result.role_figures[0]
    assert (clock.cases, clock.on_time) == (10, 1)
    assert role.max_queue == 5  # at day 4.5 the 10th case joins cases 5 to 8 behind case 4
    assert role.mean_wait == pytest.approx(sum(k / 2 * DAY for k in range(10)) / 10)
    assert role.weekly[-1] > 0


def test_a_second_officer_clears_the_same_cases_on_time():
    result = simulate(_inputs([i * DAY / 2 for i in range(10)], service=[DAY], officers=2))

    assert result.clocks[0].on_time == 10
    assert result.role_figures[0].max_queue == 0


def test_more_officers_never_lower_the_share_on_time():
    arrivals = [i * 7 * HOUR for i in range(300)]
    service = [2 * HOUR, 6 * HOUR, 10 * HOUR, 30 * HOUR]
    shares = [simulate(_inputs(arrivals, service=service, officers=n, hours=OFFICE_HOURS,
                               clocks=(ClockRule("c", "C", 5 * DAY),))).clocks[0].share
              for n in range(4, 10)]

    assert shares == sorted(shares)
    assert shares[0] < 0.5  # about 6 officers are needed for the work
    assert shares[-1] > 0.8


def test_work_is_done_only_in_working_hours():
    # Friday 17:30 a one-hour task: half an hour on Friday, the rest on Monday from 08:00
    friday_1730 = 4 * DAY + 17.5 * HOUR
    result = simulate(_inputs([friday_1730], service=[HOUR], hours=OFFICE_HOURS,
                              clocks=(ClockRule("c", "C", 2 * DAY),
                                      ClockRule("w", "W", 63 * HOUR))))

    assert OFFICE_HOURS.add(friday_1730, HOUR) == 7 * DAY + 8.5 * HOUR
    assert [c.on_time for c in result.clocks] == [0, 1]  # it takes exactly 63 hours


def test_exactly_a_working_week_ends_on_the_friday_evening():
    monday_0800 = 0 * DAY + 8 * HOUR
    week = OFFICE_HOURS.week_seconds
    assert OFFICE_HOURS.add(monday_0800, week) == 4 * DAY + 18 * HOUR
    assert OFFICE_HOURS.add(monday_0800, 2 * week) == 11 * DAY + 18 * HOUR
    assert OFFICE_HOURS.add(monday_0800, week + HOUR) == 7 * DAY + 9 * HOUR


def test_a_case_offered_out_of_hours_waits_for_the_morning():
    saturday_noon = 5 * DAY + 12 * HOUR
    assert OFFICE_HOURS.next_working(saturday_noon) == 7 * DAY + 8 * HOUR
    assert OFFICE_HOURS.between(saturday_noon, 7 * DAY + 9 * HOUR) == HOUR
    assert OFFICE_HOURS.words() == "Monday to Friday, 08:00 to 18:00"


def test_the_same_inputs_and_seed_give_the_same_result_and_another_seed_may_not():
    arrivals = [i * 5 * HOUR for i in range(200)]
    service = [1 * HOUR, 4 * HOUR, 9 * HOUR, 20 * HOUR]

    first = simulate(_inputs(arrivals, service=service, hours=OFFICE_HOURS, seed=7))
    again = simulate(_inputs(arrivals, service=service, hours=OFFICE_HOURS, seed=7))
    other = simulate(_inputs(arrivals, service=service, hours=OFFICE_HOURS, seed=8))

    assert first == again
    assert first.role_figures != other.role_figures


def test_tasks_offered_together_are_worked_side_by_side_when_there_are_officers():
    parallel = Path("p", "Both", frozenset(), (PathStep("work", "A", "officer", 0),
                                               PathStep("other", "B", "officer", 0)))
    rule = (ClockRule("c", "C", 1.5 * DAY),)

    alone = simulate(_inputs([0.0], service=[DAY], paths=(parallel,), clocks=rule))
    two = simulate(_inputs([0.0], service=[DAY], paths=(parallel,), officers=2, clocks=rule))

    assert alone.clocks[0].on_time == 0  # one after the other: two days
    assert two.clocks[0].on_time == 1  # side by side: one day


def test_an_activity_clock_runs_from_its_first_task_to_the_task_that_meets_it():
    path = Path("p", "Two", frozenset(), (PathStep("work", "A", "officer", 0),
                                          PathStep("other", "B", "officer", 1)))
    met = ClockRule("m", "Met", 1.5 * DAY, frozenset({"other"}), frozenset({"other"}))
    whole = ClockRule("w", "Whole", 1.5 * DAY)

    result = simulate(_inputs([0.0], service=[DAY], paths=(path,), clocks=(met, whole)))

    assert [c.on_time for c in result.clocks] == [1, 0]


def test_a_path_is_chosen_by_the_outcome_the_case_had():
    short = Path("short", "Short", frozenset({"A"}), (PathStep("work", "A", "officer", 0),))
    long = Path("long", "Long", frozenset({"B"}), (PathStep("work", "A", "officer", 0),
                                                   PathStep("other", "B", "officer", 1)))
    inputs = Inputs((short, long), [Arrival(0.0, frozenset({"B"})), Arrival(DAY, frozenset())],
                    {"work": [HOUR]}, {"officer": 1}, ALWAYS, ())

    assert simulate(inputs).paths == {"long": 2}  # the open case takes the mix of closed ones


def test_a_role_with_no_officer_is_refused_in_words():
    with pytest.raises(WhatIfInvalid, match="at least one officer: officer"):
        simulate(_inputs([0.0], service=[HOUR], officers=0))


def test_a_step_with_no_history_takes_its_roles_times():
    path = Path("p", "Two", frozenset(), (PathStep("work", "A", "officer", 0),
                                          PathStep("new", "New", "officer", 1)))
    inputs = Inputs((path,), [Arrival(0.0)], {"work": [DAY]}, {"officer": 1}, ALWAYS,
                    (WHOLE_CASE_DAY,))

    result = simulate(inputs)

    assert result.guessed == ("new",)
    assert result.clocks[0].on_time == 0  # two days of work


def test_the_paths_come_from_the_diagram_with_parallel_checks_offered_together():
    definition = load_files(read_folder(PROCESSES / "dvds"), "dvds", roles=ROLES)

    paths = {p.key: p for p in paths_of(definition)}
    rules = {r.name: r for r in clock_rules(definition, {"limit_initial": DAY})}

    disclosure = paths["scenarios/right-to-know-disclosure.json"]
    groups = {s.element: s.group for s in disclosure.steps}
    assert groups["ut_dv_police_checks"] == groups["ut_dv_partner_checks"]
    assert groups["ut_dv_risk_assessment"] == groups["ut_dv_partner_checks"] + 1
    assert "Disclosure" in disclosure.outcomes
    assert set(rules) == {"initial"}  # the overall clock's limit was not given
    assert "ut_dv_initial_check" in rules["initial"].within
