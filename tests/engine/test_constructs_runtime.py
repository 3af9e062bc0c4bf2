"""Each BPMN/DMN construct, in a minimal diagram drawn our way, runs to the end through the
facade as BPMN says it should (or is refused at check time, see test_definitions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import EngineError, ProcessInstance, check_files
from engine.simulation import save_and_reload

from .constructs_diagrams import LANE, definition, files, flow, user_task

LANES = {LANE}


def _errors(body: str, **kwargs) -> list[str]:
    return [p.message for p in check_files(files(body, **kwargs), "p", lanes=LANES)
            if p.severity == "error"]


def _start(body: str, *, globals_: str = "", dmn: dict[str, str] | None = None,
           data: dict | None = None) -> ProcessInstance:
    return ProcessInstance.start(definition(body, globals_=globals_, dmn=dmn), data or {})


def _offered(instance: ProcessInstance) -> list[str]:
    return sorted(t.bpmn_id for t in instance.human_tasks())


def _complete(instance: ProcessInstance, bpmn_id: str, data: dict | None = None):
    (task,) = [t for t in instance.human_tasks() if t.bpmn_id == bpmn_id]
    return instance.complete_task(task.task_id, data or {}, lanes=LANES)


def _start_event(event_id: str, outgoing: str, definition_xml: str = "",
                 interrupting: bool = True) -> str:
    attr = "" if interrupting else ' isInterrupting="false"'
    return (f'<bpmn:startEvent id="{event_id}"{attr}><bpmn:outgoing>{outgoing}</bpmn:outgoing>'
            f'{definition_xml}</bpmn:startEvent>')


def _end(event_id: str, incoming: str, definition_xml: str = "") -> str:
    return (f'<bpmn:endEvent id="{event_id}"><bpmn:incoming>{incoming}</bpmn:incoming>'
            f'{definition_xml}</bpmn:endEvent>')


def _event_subprocess(sp_id: str, start_definition: str, *, interrupting: bool = True) -> str:
    """An event subprocess: its start event, then user task ``ut_<sp_id>``, then its end."""
    return (f'<bpmn:subProcess id="{sp_id}" name="Handle {sp_id}" triggeredByEvent="true">'
            + _start_event(f"{sp_id}_start", f"{sp_id}_f1", start_definition, interrupting)
            + user_task(f"ut_{sp_id}", f"{sp_id}_f1", f"{sp_id}_f2")
            + _end(f"{sp_id}_end", f"{sp_id}_f2")
            + flow(f"{sp_id}_f1", f"{sp_id}_start", f"ut_{sp_id}")
            + flow(f"{sp_id}_f2", f"ut_{sp_id}", f"{sp_id}_end")
            + "</bpmn:subProcess>")


# -- 1. error and escalation event subprocesses -------------------------------------------

THROW_ERROR = '<bpmn:errorEventDefinition id="ed_throw" errorRef="err" />'
CATCH_ERROR = '<bpmn:errorEventDefinition id="ed_catch" errorRef="err" />'
ERROR = '<bpmn:error id="err" name="Checks failed" errorCode="checks_failed" />'
ESCALATION = '<bpmn:escalation id="esc" name="Needs a manager" escalationCode="manager" />'


def _error_case() -> str:
    """ut_a, then an error end event when note is "fail", else a plain end."""
    return (_start_event("start", "f1") + user_task("ut_a", "f1", "f2")
            + '<bpmn:exclusiveGateway id="gw" default="f_ok"><bpmn:incoming>f2</bpmn:incoming>'
              '<bpmn:outgoing>f_ok</bpmn:outgoing><bpmn:outgoing>f_fail</bpmn:outgoing>'
              '</bpmn:exclusiveGateway>'
            + _end("end_ok", "f_ok")
            + _end("end_fail", "f_fail", THROW_ERROR)
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "gw") + flow("f_ok", "gw", "end_ok")
            + flow("f_fail", "gw", "end_fail", 'note == "fail"')
            + _event_subprocess("on_error", CATCH_ERROR))


def test_error_event_subprocess_does_not_run_at_the_start_of_a_case():
    instance = _start(_error_case(), globals_=ERROR)
    assert _offered(instance) == ["ut_a"]
    status = _complete(instance, "ut_a", {"note": "all fine"})
    assert status.status == "completed"
    assert "ut_on_error" not in instance.completed_bpmn_ids()


def test_error_event_subprocess_runs_when_the_error_is_thrown():
    instance = _start(_error_case(), globals_=ERROR)
    status = _complete(instance, "ut_a", {"note": "fail"})
    assert [t.bpmn_id for t in status.human_tasks] == ["ut_on_error"]
    assert _complete(instance, "ut_on_error").status == "completed"


def _escalation_case(interrupting: bool) -> str:
    """ut_a, an escalation thrown, then ut_b; an escalation event subprocess beside it."""
    return (_start_event("start", "f1") + user_task("ut_a", "f1", "f2")
            + '<bpmn:intermediateThrowEvent id="throw_esc"><bpmn:incoming>f2</bpmn:incoming>'
              '<bpmn:outgoing>f3</bpmn:outgoing>'
              '<bpmn:escalationEventDefinition id="esc_throw" escalationRef="esc" />'
              '</bpmn:intermediateThrowEvent>'
            + user_task("ut_b", "f3", "f4") + _end("end", "f4")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "throw_esc")
            + flow("f3", "throw_esc", "ut_b") + flow("f4", "ut_b", "end")
            + _event_subprocess("on_esc", '<bpmn:escalationEventDefinition id="esc_catch" '
                                          'escalationRef="esc" />', interrupting=interrupting))


def test_escalation_event_subprocess_runs_only_when_escalated_and_beside_the_case():
    instance = _start(_escalation_case(interrupting=False), globals_=ESCALATION)
    assert _offered(instance) == ["ut_a"]
    _complete(instance, "ut_a")
    assert _offered(instance) == ["ut_b", "ut_on_esc"]
    _complete(instance, "ut_on_esc")
    assert _complete(instance, "ut_b").status == "completed"


def test_interrupting_escalation_event_subprocess_stops_the_case_flow():
    instance = _start(_escalation_case(interrupting=True), globals_=ESCALATION)
    _complete(instance, "ut_a")
    assert _offered(instance) == ["ut_on_esc"]
    assert _complete(instance, "ut_on_esc").status == "completed"


# -- 2. message event subprocesses ---------------------------------------------------------

MESSAGE = '<bpmn:message id="msg_stop" name="Stop" />'


def _message_case(interrupting: bool) -> str:
    return (_start_event("start", "f1") + user_task("ut_a", "f1", "f2") + _end("end", "f2")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "end")
            + _event_subprocess("on_stop", '<bpmn:messageEventDefinition id="md" '
                                           'messageRef="msg_stop" />', interrupting=interrupting))


def test_interrupting_message_event_subprocess_interrupts_the_case():
    instance = _start(_message_case(interrupting=True), globals_=MESSAGE)
    assert instance.waiting_messages() == ("Stop",)
    status = instance.send_message("Stop")
    assert [t.bpmn_id for t in status.human_tasks] == ["ut_on_stop"]
    assert "Stop" not in status.waiting_messages
    instance = save_and_reload(instance)
    assert instance.waiting_messages() == ()
    status = _complete(instance, "ut_on_stop")
    assert status.status == "completed"
    assert "ut_a" not in instance.completed_bpmn_ids()


def test_non_interrupting_message_event_subprocess_runs_beside_the_case():
    instance = _start(_message_case(interrupting=False), globals_=MESSAGE)
    status = instance.send_message("Stop")
    assert sorted(t.bpmn_id for t in status.human_tasks) == ["ut_a", "ut_on_stop"]
    _complete(instance, "ut_on_stop")
    assert _complete(instance, "ut_a").status == "completed"


def test_interrupting_timer_event_subprocess_interrupts_when_the_timer_fires():
    import time_machine

    timer = ('<bpmn:timerEventDefinition id="td_limit"><bpmn:timeDuration '
             'xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>'
             '</bpmn:timerEventDefinition>')
    body = (_start_event("start", "f1") + user_task("ut_a", "f1", "f2") + _end("end", "f2")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "end")
            + _event_subprocess("on_limit", timer))
    with time_machine.travel(T0, tick=False) as clock:
        instance = _start(body)
        assert _offered(instance) == ["ut_a"]
        clock.move_to(T0 + timedelta(hours=2))
        instance.fire_due_timers()
        assert _offered(instance) == ["ut_on_limit"]
        assert _complete(instance, "ut_on_limit").status == "completed"


# -- 3. link events ------------------------------------------------------------------------

def test_link_events_continue_the_flow_at_the_matching_catch_event():
    body = (_start_event("start", "f1") + user_task("ut_a", "f1", "f2")
            + '<bpmn:intermediateThrowEvent id="link_out" name="To B"><bpmn:incoming>f2'
              '</bpmn:incoming><bpmn:linkEventDefinition id="l_out" name="ToB" />'
              '</bpmn:intermediateThrowEvent>'
            + '<bpmn:intermediateCatchEvent id="link_in" name="To B"><bpmn:outgoing>f3'
              '</bpmn:outgoing><bpmn:linkEventDefinition id="l_in" name="ToB" />'
              '</bpmn:intermediateCatchEvent>'
            + user_task("ut_b", "f3", "f4") + _end("end", "f4")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "link_out")
            + flow("f3", "link_in", "ut_b") + flow("f4", "ut_b", "end"))
    instance = _start(body)
    assert _offered(instance) == ["ut_a"]
    status = _complete(instance, "ut_a")
    assert status.status == "running"
    assert [t.bpmn_id for t in status.human_tasks] == ["ut_b"]
    assert _complete(instance, "ut_b").status == "completed"


# -- 4. DMN hit policies ---------------------------------------------------------------------

def _dmn(hit_policy: str, rules: list[tuple[str, str]], *, aggregation: str = "",
         output_values: str = "") -> str:
    """A one-input (score), one-output (band) decision table named 'Banding'."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    values = (f"<outputValues><text>{output_values}</text></outputValues>"
              if output_values else "")
    rows = "".join(
        f'<rule id="r{n}"><inputEntry id="r{n}_in"><text>{when}</text></inputEntry>'
        f'<outputEntry id="r{n}_out"><text>{then}</text></outputEntry></rule>'
        for n, (when, then) in enumerate(rules, start=1))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_defs" '
            'name="Bands" namespace="http://example.org/dmn">'
            '<decision id="banding" name="Banding">'
            f'<decisionTable id="dt_banding" hitPolicy="{hit_policy}"{agg}>'
            '<input id="in_score" label="Score"><inputExpression id="in_score_expr" '
            'typeRef="number"><text>score</text></inputExpression></input>'
            f'<output id="out_band" label="Band" name="band" typeRef="string">{values}</output>'
            f'{rows}</decisionTable></decision></definitions>')


def _decide(dmn_text: str, score: int) -> ProcessInstance:
    body = (_start_event("start", "f1")
            + '<bpmn:businessRuleTask id="br" name="Band the score"><bpmn:extensionElements>'
              '<spiffworkflow:calledDecisionId>banding</spiffworkflow:calledDecisionId>'
              '</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming>'
              '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>'
            + user_task("ut_a", "f2", "f3") + _end("end", "f3")
            + flow("f1", "start", "br") + flow("f2", "br", "ut_a") + flow("f3", "ut_a", "end"))
    return _start(body, dmn={"banding.dmn": dmn_text}, data={"score": score})


OVERLAPPING = [("&gt; 10", '"low"'), ("&gt; 50", '"high"'), ("&gt; 30", '"medium"')]
NUMBERS = [("&gt; 10", "5"), ("&gt; 50", "7"), ("&gt; 30", "1")]
PRIORITIES = '"high","medium","low"'


@pytest.mark.parametrize(("policy", "rules", "kwargs", "expected"), [
    ("FIRST", OVERLAPPING, {}, "low"),
    ("PRIORITY", OVERLAPPING, {"output_values": PRIORITIES}, "high"),
    ("RULE ORDER", OVERLAPPING, {}, ["low", "high", "medium"]),
    ("OUTPUT ORDER", OVERLAPPING, {"output_values": PRIORITIES}, ["high", "medium", "low"]),
    ("COLLECT", OVERLAPPING, {}, ["low", "high", "medium"]),
    ("COLLECT", NUMBERS, {"aggregation": "SUM"}, 13),
    ("COLLECT", NUMBERS, {"aggregation": "COUNT"}, 3),
    ("COLLECT", NUMBERS, {"aggregation": "MIN"}, 1),
    ("COLLECT", NUMBERS, {"aggregation": "MAX"}, 7),
    ("ANY", [("&gt; 10", '"same"'), ("&gt; 50", '"same"')], {}, "same"),
    ("UNIQUE", [("&lt;= 50", '"low"'), ("&gt; 50", '"high"')], {}, "high"),
])
def test_dmn_hit_policies_give_the_dmn_result(policy, rules, kwargs, expected):
    instance = _decide(_dmn(policy, rules, **kwargs), score=60)
    assert instance.data()["band"] == expected


def test_collect_with_no_match_gives_an_empty_list_a_zero_count_or_none():
    assert _decide(_dmn("COLLECT", NUMBERS), score=0).data()["band"] == []
    assert _decide(_dmn("RULE ORDER", NUMBERS), score=0).data()["band"] == []
    assert _decide(_dmn("COLLECT", NUMBERS, aggregation="COUNT"), score=0).data()["band"] == 0
    assert _decide(_dmn("COLLECT", NUMBERS, aggregation="SUM"), score=0).data()["band"] is None


@pytest.mark.parametrize(("policy", "rules", "words"), [
    ("UNIQUE", OVERLAPPING, "matched 3 rules (rows 1, 2 and 3)"),
    ("ANY", OVERLAPPING, "rows 1, 2 and 3 give different results"),
])
def test_dmn_unique_and_any_conflicts_are_errors_naming_the_decision(policy, rules, words):
    with pytest.raises(EngineError) as caught:
        _decide(_dmn(policy, rules), score=60)
    assert "Banding" in str(caught.value)
    assert words in str(caught.value)


# -- 5. manual tasks ---------------------------------------------------------------------------

def test_manual_task_is_offered_with_no_form_and_an_officer_marks_it_done():
    body = (_start_event("start", "f1")
            + '<bpmn:manualTask id="mt_post" name="Post the letter"><bpmn:incoming>f1'
              '</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:manualTask>'
            + _end("end", "f2") + flow("f1", "start", "mt_post") + flow("f2", "mt_post", "end"))
    instance = _start(body)
    (task,) = instance.human_tasks()
    assert (task.bpmn_id, task.name, task.lane, task.form_key) == (
        "mt_post", "Post the letter", LANE, None)
    with pytest.raises(EngineError) as caught:
        instance.complete_task(task.task_id, {"note": "x"}, lanes=LANES)
    assert caught.value.code == "invalid_data"
    with pytest.raises(EngineError) as caught:
        instance.complete_task(task.task_id, {}, lanes={"Someone else"})
    assert caught.value.code == "wrong_lane"
    assert instance.complete_task(task.task_id, {}, lanes=LANES).status == "completed"


# -- 6. event-based gateways ---------------------------------------------------------------------

GO = '<bpmn:message id="msg_go" name="Go" />'
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _event_gateway_case() -> str:
    return (_start_event("start", "f1") + user_task("ut_a", "f1", "f2")
            + '<bpmn:eventBasedGateway id="ebg"><bpmn:incoming>f2</bpmn:incoming>'
              '<bpmn:outgoing>f_msg</bpmn:outgoing><bpmn:outgoing>f_timer</bpmn:outgoing>'
              '</bpmn:eventBasedGateway>'
            + '<bpmn:intermediateCatchEvent id="catch_go" name="Go received"><bpmn:incoming>f_msg'
              '</bpmn:incoming><bpmn:outgoing>f_go</bpmn:outgoing>'
              '<bpmn:messageEventDefinition id="md_go" messageRef="msg_go" />'
              '</bpmn:intermediateCatchEvent>'
            + '<bpmn:intermediateCatchEvent id="catch_late" name="An hour passed"><bpmn:incoming>'
              'f_timer</bpmn:incoming><bpmn:outgoing>f_late</bpmn:outgoing>'
              '<bpmn:timerEventDefinition id="td_late"><bpmn:timeDuration '
              'xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>'
              '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
            + user_task("ut_go", "f_go", "f_go_end") + _end("end_go", "f_go_end")
            + user_task("ut_late", "f_late", "f_late_end") + _end("end_late", "f_late_end")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "ebg")
            + flow("f_msg", "ebg", "catch_go") + flow("f_timer", "ebg", "catch_late")
            + flow("f_go", "catch_go", "ut_go") + flow("f_late", "catch_late", "ut_late")
            + flow("f_go_end", "ut_go", "end_go") + flow("f_late_end", "ut_late", "end_late"))


def test_event_based_gateway_waits_for_its_message_and_timer_and_takes_the_message():
    import time_machine

    with time_machine.travel(T0, tick=False):
        instance = _start(_event_gateway_case(), globals_=GO)
        status = _complete(instance, "ut_a")
        assert status.waiting_messages == ("Go",)
        assert [(t.bpmn_id, t.due_at) for t in status.timers] == [
            ("catch_late", T0 + timedelta(hours=1))]
        moved = instance.set_timer_due("catch_late", T0 + timedelta(minutes=30))
        assert [t.due_at for t in moved] == [T0 + timedelta(minutes=30)]
        instance = save_and_reload(instance)
        assert instance.waiting_messages() == ("Go",)
        status = instance.send_message("Go")
        assert [t.bpmn_id for t in status.human_tasks] == ["ut_go"]
        assert status.timers == () and status.waiting_messages == ()
        assert _complete(instance, "ut_go").status == "completed"


def test_event_based_gateway_takes_the_timer_when_it_falls_due():
    import time_machine

    with time_machine.travel(T0, tick=False) as clock:
        instance = _start(_event_gateway_case(), globals_=GO)
        _complete(instance, "ut_a")
        clock.move_to(T0 + timedelta(hours=2))
        instance.fire_due_timers()
        status = instance.status()
        assert [t.bpmn_id for t in status.human_tasks] == ["ut_late"]
        assert status.waiting_messages == ()
        assert _complete(instance, "ut_late").status == "completed"


# -- what cannot run correctly is refused at check time ---------------------------------------

def test_a_link_throw_event_with_no_catch_event_is_refused():
    body = (_start_event("start", "f1")
            + '<bpmn:intermediateThrowEvent id="link_out"><bpmn:incoming>f1</bpmn:incoming>'
              '<bpmn:linkEventDefinition id="l_out" name="Nowhere" /></bpmn:intermediateThrowEvent>'
            + flow("f1", "start", "link_out"))
    assert any(m.startswith("Link throw event 'Nowhere' has no link catch event")
               for m in _errors(body))


def test_an_error_start_event_outside_an_event_subprocess_is_refused():
    body = (_start_event("start", "f1", CATCH_ERROR) + user_task("ut_a", "f1", "f2")
            + _end("end", "f2") + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "end"))
    assert any(m.startswith("Error start event outside an event subprocess")
               for m in _errors(body, globals_=ERROR))


def test_a_manual_task_outside_any_lane_is_refused():
    body = (_start_event("start", "f1")
            + '<bpmn:manualTask id="mt_post" name="Post the letter"><bpmn:incoming>f1'
              '</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:manualTask>'
            + _end("end", "f2") + flow("f1", "start", "mt_post") + flow("f2", "mt_post", "end"))
    found = files(body)
    found["p.bpmn"] = found["p.bpmn"].replace(b"<bpmn:flowNodeRef>mt_post</bpmn:flowNodeRef>", b"")
    errors = [p.message for p in check_files(found, "p", lanes=LANES) if p.severity == "error"]
    assert any(m.startswith("Manual task is not in a lane") for m in errors)


@pytest.mark.parametrize(("policy", "kwargs", "words"), [
    ("PRIORITY", {}, "hit policy PRIORITY ranks results by the output values, but output "
                     "'Band' lists none"),
    ("OUTPUT ORDER", {}, "hit policy OUTPUT ORDER ranks results"),
    ("UNIQUE", {"aggregation": "SUM"}, "aggregation 'SUM' needs hit policy COLLECT"),
    ("COLLECT", {"aggregation": "AVERAGE"}, "aggregation 'AVERAGE' needs"),
    ("SOMETIMES", {}, "hit policy 'SOMETIMES' is not one of"),
])
def test_dmn_tables_the_engine_cannot_decide_are_refused_naming_the_decision(policy, kwargs,
                                                                             words):
    body = (_start_event("start", "f1") + user_task("ut_a", "f1", "f2") + _end("end", "f2")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "end"))
    errors = _errors(body, dmn={"banding.dmn": _dmn(policy, NUMBERS, **kwargs)})
    assert any(m.startswith("Decision table 'Banding': ") and words in m for m in errors), errors


def test_an_event_based_gateway_with_two_timers_is_refused():
    second = ('<bpmn:intermediateCatchEvent id="catch_later"><bpmn:incoming>f_timer2'
              '</bpmn:incoming><bpmn:outgoing>f_later</bpmn:outgoing>'
              '<bpmn:timerEventDefinition id="td_later"><bpmn:timeDuration '
              'xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration>'
              '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
              + _end("end_later", "f_later") + flow("f_timer2", "ebg", "catch_later")
              + flow("f_later", "catch_later", "end_later"))
    body = _event_gateway_case().replace(
        "<bpmn:outgoing>f_timer</bpmn:outgoing>",
        "<bpmn:outgoing>f_timer</bpmn:outgoing><bpmn:outgoing>f_timer2</bpmn:outgoing>") + second
    assert any(m.startswith("Event-based gateway waits for 2 timers")
               for m in _errors(body, globals_=GO))
    assert not _errors(_event_gateway_case(), globals_=GO)


def test_an_aggregation_over_several_outputs_is_refused():
    body = (_start_event("start", "f1") + user_task("ut_a", "f1", "f2") + _end("end", "f2")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "end"))
    two = _dmn("COLLECT", NUMBERS, aggregation="SUM").replace(
        "</output>", '</output><output id="out_other" label="Other" name="other" />', 1)
    assert "Decision table 'Banding': a COLLECT SUM table must have exactly one output" in (
        _errors(body, dmn={"banding.dmn": two}))


def test_two_link_catch_events_with_one_name_are_refused():
    catch = ('<bpmn:intermediateCatchEvent id="{id}"><bpmn:outgoing>{out}</bpmn:outgoing>'
             '<bpmn:linkEventDefinition id="{id}_def" name="Again" />'
             '</bpmn:intermediateCatchEvent>')
    body = (_start_event("start", "f1") + user_task("ut_a", "f1", "f2") + _end("end", "f2")
            + flow("f1", "start", "ut_a") + flow("f2", "ut_a", "end")
            + catch.format(id="in_1", out="f3") + _end("end_3", "f3") + flow("f3", "in_1", "end_3")
            + catch.format(id="in_2", out="f4") + _end("end_4", "f4") + flow("f4", "in_2", "end_4"))
    assert "2 link catch events are named 'Again': give each a different name" in _errors(body)
