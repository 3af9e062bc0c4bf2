"""The definition diff lists exactly the BPMN elements added, removed and changed, by field, and
ignores diagram layout. Variants of the national CSODS process are made by editing its XML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine import Definition, load_files
from engine.definitions import read_folder
from engine.diff import ElementChange, diff_definitions
from engine.diff_summary import summary

CSODS = Path(__file__).resolve().parents[2] / "processes" / "csods"
LANES = {"Contact handler", "Case officer", "Decision maker", "Disclosure officer"}


# -- variants of the national process (shared with test_migration) --------------------------
def csods_files() -> dict[str, bytes]:
    return read_folder(CSODS)


def edit(files: dict[str, bytes], *replacements: tuple[str, str]) -> dict[str, bytes]:
    """Replace each ``old`` (which must occur exactly once) in csods.bpmn by ``new``."""
    text = files["csods.bpmn"].decode()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return {**files, "csods.bpmn": text.encode()}


def load(files: dict[str, bytes]) -> Definition:
    return load_files(files, "csods", lanes=LANES)


SECOND_OPINION_TASK = """<bpmn:userTask id="ut_second_opinion" name="Second opinion">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="breach_review.schema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>fd_single_done</bpmn:incoming>
      <bpmn:outgoing>fd_second_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw_decision_recorded" name="Decision recorded">
      <bpmn:incoming>fd_second_done</bpmn:incoming>"""


def with_second_opinion(files: dict[str, bytes]) -> dict[str, bytes]:
    """Stage 4 gains a user task after ut_decision (a decision maker's second opinion)."""
    return edit(
        files,
        ("<bpmn:flowNodeRef>ut_panel_decision</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>ut_panel_decision</bpmn:flowNodeRef>\n"
         "        <bpmn:flowNodeRef>ut_second_opinion</bpmn:flowNodeRef>"),
        ('<bpmn:exclusiveGateway id="gw_decision_recorded" name="Decision recorded">\n'
         "      <bpmn:incoming>fd_single_done</bpmn:incoming>", SECOND_OPINION_TASK),
        ('<bpmn:sequenceFlow id="fd_single_done" sourceRef="ut_decision" '
         'targetRef="gw_decision_recorded" />',
         '<bpmn:sequenceFlow id="fd_single_done" sourceRef="ut_decision" '
         'targetRef="ut_second_opinion" />\n'
         '    <bpmn:sequenceFlow id="fd_second_done" sourceRef="ut_second_opinion" '
         'targetRef="gw_decision_recorded" />'),
    )


def answering_the_second_opinion(files: dict[str, str]) -> dict[str, str]:
    """The shipped scenarios that pass the decision, answering the task ``with_second_opinion``
    adds as a policy lead would before publishing (a scenario without an answer for it fails
    and blocks the version)."""
    answer = json.loads((Path(__file__).resolve().parents[2] / "processes" / "csods" / "forms"
                         / "samples" / "breach_review.json").read_text())
    changed = {}
    for name, text in files.items():
        doc = json.loads(text) if name.startswith("scenarios/") else {}
        if "ut_decision" in doc.get("answers", {}):
            doc["answers"]["ut_second_opinion"] = answer
            path = doc["expect"]["path"]
            path.insert(path.index("ut_decision") + 1, "ut_second_opinion")
            changed[name] = json.dumps(doc, indent=2)
    return changed


def with_renamed_decision(files: dict[str, bytes]) -> dict[str, bytes]:
    return edit(files, ('<bpmn:userTask id="ut_decision" name="Decide on disclosure">',
                        '<bpmn:userTask id="ut_decision" name="Decide whether to disclose">'))


def with_wider_disclose_condition(files: dict[str, bytes]) -> dict[str, bytes]:
    return edit(files, ('decision == &quot;disclose&quot;</bpmn:conditionExpression>',
                        'decision in (&quot;disclose&quot;, &quot;disclose_in_part&quot;)'
                        "</bpmn:conditionExpression>"))


def without_no_disclosure_task(files: dict[str, bytes]) -> dict[str, bytes]:
    """Stage 5b loses its outcome task: start goes straight to the follow-up gateway."""
    text = files["csods.bpmn"].decode()
    task = re.search(r'\n\s*<bpmn:userTask id="ut_no_disclosure_outcome".*?</bpmn:userTask>',
                     text, re.S)
    assert task is not None
    return edit(
        files,
        (task.group(0), ""),
        ("\n        <bpmn:flowNodeRef>ut_no_disclosure_outcome</bpmn:flowNodeRef>", ""),
        ('\n    <bpmn:sequenceFlow id="fn_done" sourceRef="ut_no_disclosure_outcome" '
         'targetRef="gw_follow_up_support" />', ""),
        ('<bpmn:sequenceFlow id="fn_start" sourceRef="start_no_disclosure" '
         'targetRef="ut_no_disclosure_outcome" />',
         '<bpmn:sequenceFlow id="fn_start" sourceRef="start_no_disclosure" '
         'targetRef="gw_follow_up_support" />'),
        ("<bpmn:incoming>fn_done</bpmn:incoming>", "<bpmn:incoming>fn_start</bpmn:incoming>"),
    )


def with_checks_v2(files: dict[str, bytes]) -> dict[str, bytes]:
    """Stage 3 calls a new process, csods_checks_v2 (a copy of csods_checks, new ids)."""
    text = files["csods.bpmn"].decode()
    start = text.index('<bpmn:process id="csods_checks"')
    end = text.index("</bpmn:process>", start) + len("</bpmn:process>")
    block = text[start:end]
    ids = sorted(set(re.findall(r'\bid="([^"]+)"', block)), key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, ids)) + r")\b")
    copy = pattern.sub(lambda m: m.group(1) + "_v2", block)
    text = text[:end] + "\n  " + copy + text[end:]
    text = text.replace('calledElement="csods_checks"', 'calledElement="csods_checks_v2"')
    return {**files, "csods.bpmn": text.encode()}


# -- tests ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def csods() -> Definition:
    return load(csods_files())


def ids(changes: tuple[ElementChange, ...]) -> dict[str, tuple[str, ...]]:
    return {c.element_id: c.fields for c in changes}


def test_a_version_compared_with_itself_has_no_changes(csods):
    assert diff_definitions(csods, csods).is_empty


def test_moving_shapes_and_edges_in_the_diagram_is_not_a_change(csods):
    # given: only diagram interchange (coordinates, waypoints) differs
    moved = load(edit(csods_files(),
                      ('<dc:Bounds x="840" y="2450" width="100" height="80" />',
                       '<dc:Bounds x="900" y="2470" width="120" height="90" />'),
                      ('<di:waypoint x="940" y="2490" />', '<di:waypoint x="1020" y="2510" />')))
    # then: a new version by hash, but nothing changed for anyone working a case
    assert moved.content_hash != csods.content_hash
    assert diff_definitions(csods, moved).is_empty


def test_an_added_task_lists_the_task_its_flow_and_what_it_rewired(csods):
    diff = diff_definitions(csods, load(with_second_opinion(csods_files())))
    assert ids(diff.added) == {"ut_second_opinion": (), "fd_second_done": ()}
    added = {c.element_id: c for c in diff.added}["ut_second_opinion"]
    assert (added.process_id, added.tag, added.name) == (
        "csods_decision", "userTask", "Second opinion")
    assert ids(diff.changed) == {"gw_decision_recorded": ("incoming",),
                                 "fd_single_done": ("target",)}
    assert diff.removed == ()


def test_a_renamed_task_is_a_name_change_only(csods):
    diff = diff_definitions(csods, load(with_renamed_decision(csods_files())))
    assert ids(diff.changed) == {"ut_decision": ("name",)}
    assert diff.changed[0].name == "Decide whether to disclose"
    assert diff.added == diff.removed == ()


def test_a_changed_gateway_condition_is_reported_on_its_flow(csods):
    diff = diff_definitions(csods, load(with_wider_disclose_condition(csods_files())))
    assert ids(diff.changed) == {"f_disclose": ("condition",)}
    assert diff.changed[0].process_id == "csods"


def test_a_removed_task_lists_it_and_its_flow_and_the_rewired_neighbours(csods):
    diff = diff_definitions(csods, load(without_no_disclosure_task(csods_files())))
    assert ids(diff.removed) == {"ut_no_disclosure_outcome": (), "fn_done": ()}
    assert ids(diff.changed) == {"fn_start": ("target",),
                                 "gw_follow_up_support": ("incoming",)}
    assert diff.added == ()


def test_a_node_moving_lanes_is_a_lane_change(csods):
    files = edit(csods_files(),
                 ("        <bpmn:flowNodeRef>ut_record_enquiry</bpmn:flowNodeRef>\n", ""),
                 ("<bpmn:flowNodeRef>ut_initial_checks</bpmn:flowNodeRef>",
                  "<bpmn:flowNodeRef>ut_initial_checks</bpmn:flowNodeRef>\n"
                  "        <bpmn:flowNodeRef>ut_record_enquiry</bpmn:flowNodeRef>"))
    diff = diff_definitions(csods, load(files))
    assert ids(diff.changed) == {"ut_record_enquiry": ("lane",)}


def test_timer_script_instructions_documentation_and_call_changes_are_named(csods):
    files = edit(
        csods_files(),
        ('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">limit_overall</bpmn:timeDuration>',
         '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P60D"</bpmn:timeDuration>'),
        ("<bpmn:script>outcome_codes = list(outcome_codes or [])",
         "<bpmn:script>outcome_codes = list(outcome_codes or [])\nopened = True"),
        ("Record the enquiry ({{ channel", "Record the enquiry now ({{ channel"),
        ("Stage 4: the decision guide", "Stage 4 (revised): the decision guide"),
    )
    # A timer that no longer reads its clock's limit is no longer that clock's breach timer.
    declared = files["scheme.json"].decode().replace('"breach_timer": "start_overall_limit"',
                                                      '"breach_timer": null')
    files = {**files, "scheme.json": declared.encode()}
    diff = diff_definitions(csods, load(with_checks_v2(files)))
    changed = ids(diff.changed)
    assert changed == {"start_overall_limit": ("timer",), "st_open_case": ("script",),
                       "ut_record_enquiry": ("instructions",),
                       "csods_decision": ("documentation",), "ca_checks": ("calledElement",)}
    assert {c.process_id for c in diff.added} == {"csods_checks_v2"}
    assert "ut_police_checks_v2" in ids(diff.added)


def test_form_files_added_removed_and_changed_are_listed(csods):
    files = csods_files()
    schema = json.loads(files["forms/decision.schema.json"])
    schema["title"] = "Disclosure decision (revised)"
    files = {**files, "forms/decision.schema.json": json.dumps(schema).encode(),
             "forms/extra.schema.json": b'{"type": "object"}'}
    reformatted = {**csods_files(), "forms/enquiry.schema.json": json.dumps(
        json.loads(csods_files()["forms/enquiry.schema.json"]), indent=8).encode()}
    new = load(files)
    diff = diff_definitions(csods, new)
    assert (diff.forms_changed, diff.forms_added, diff.forms_removed) == (
        ("decision.schema.json",), ("extra.schema.json",), ())
    assert diff_definitions(new, csods).forms_removed == ("extra.schema.json",)
    assert diff.added == diff.changed == diff.removed == ()
    assert diff_definitions(csods, load(reformatted)).is_empty  # layout of JSON is no change


def test_colour_classes_mark_each_diagram_side(csods):
    changed = load(with_second_opinion(without_no_disclosure_task(csods_files())))
    diff = diff_definitions(csods, changed)
    new_side = diff.colour_classes("new")
    assert new_side["ut_second_opinion"] == "diff-added"
    assert new_side["fd_single_done"] == "diff-changed"
    assert "ut_no_disclosure_outcome" not in new_side
    old_side = diff.colour_classes("old")
    assert old_side["ut_no_disclosure_outcome"] == "diff-removed"
    assert "ut_second_opinion" not in old_side
    assert set(diff.colour_classes()) == set(new_side) | set(old_side)


def as_bpmn_js_saves_it(files: dict[str, bytes]) -> dict[str, bytes]:
    """What bpmn-js's export changes without anyone touching the element: it leaves out
    attributes at their BPMN default (seen: ``cancelActivity="true"`` on boundary events)."""
    text = files["csods.bpmn"].decode()
    assert text.count(' cancelActivity="true"') >= 5  # noqa: PLR2004
    return {**files, "csods.bpmn": text.replace(' cancelActivity="true"', "").encode()}


def test_attributes_left_out_at_their_bpmn_default_are_not_a_change(csods):
    saved = load(as_bpmn_js_saves_it(csods_files()))
    assert saved.content_hash != csods.content_hash
    assert diff_definitions(csods, saved).is_empty
    # a boundary event made non-interrupting is still a change
    files = edit(csods_files(), ('id="be_identity_not_verified" name="Identity not verified" '
                                 'cancelActivity="true"',
                                 'id="be_identity_not_verified" name="Identity not verified" '
                                 'cancelActivity="false"'))
    changed = diff_definitions(csods, load(files)).changed
    assert [(c.description, c.changed_words) for c in changed] == [
        ("Error event 'Identity not verified' on '2. Verification interview'",
         ("what it is attached to or whether it interrupts",))]


def test_an_added_task_is_summarised_as_that_task_by_name(csods):
    diff = diff_definitions(csods, load(as_bpmn_js_saves_it(with_second_opinion(csods_files()))))
    people = summary(diff)
    assert [c.description for c in people.added] == ["User task 'Second opinion'"]
    assert people.changed == people.removed == ()


def test_a_removed_task_is_summarised_as_that_task_by_name(csods):
    people = summary(diff_definitions(csods, load(without_no_disclosure_task(csods_files()))))
    assert [c.description for c in people.removed] == [
        "User task 'Inform the applicant and record as intelligence'"]
    assert people.added == people.changed == ()


def test_a_flow_change_between_existing_elements_stays_in_the_summary(csods):
    people = summary(diff_definitions(csods, load(with_wider_disclose_condition(csods_files()))))
    assert [(c.description, c.changed_words) for c in people.changed] == [
        ("Sequence flow 'Disclose' from 'Disclose?' to '5a. Face-to-face disclosure'",
         ("condition",))]


def test_elements_are_described_by_type_in_words_and_name(csods):
    files = edit(csods_files(), ('name="24-hour limit passed"', 'name="Initial checks overdue"'))
    people = summary(diff_definitions(csods, load(files)))
    assert [(c.description, c.changed_words) for c in people.changed] == [
        ("Timer 'Initial checks overdue' on '1. Enquiry and initial checks'", ("name",))]


def test_a_task_put_in_the_way_of_a_flow_as_bpmn_js_does_it_is_summarised_as_that_task(csods):
    # bpmn-js removes the old flow and draws one into the task and one out of it
    files = edit(
        with_second_opinion(csods_files()),
        ('<bpmn:sequenceFlow id="fd_single_done" sourceRef="ut_decision" '
         'targetRef="ut_second_opinion" />',
         '<bpmn:sequenceFlow id="Flow_0abc123" sourceRef="ut_decision" '
         'targetRef="ut_second_opinion" />'),
        ("<bpmn:incoming>fd_single_done</bpmn:incoming>\n      <bpmn:outgoing>fd_second_done",
         "<bpmn:incoming>Flow_0abc123</bpmn:incoming>\n      <bpmn:outgoing>fd_second_done"))
    text = files["csods.bpmn"].decode().replace(
        '<bpmn:outgoing>fd_single_done</bpmn:outgoing>',
        '<bpmn:outgoing>Flow_0abc123</bpmn:outgoing>')
    diff = diff_definitions(csods, load({**files, "csods.bpmn": text.encode()}))
    assert {c.element_id for c in diff.removed} == {"fd_single_done"}
    people = summary(diff)
    assert [c.description for c in people.added] == ["User task 'Second opinion'"]
    assert people.changed == people.removed == ()
