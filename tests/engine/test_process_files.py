"""Which files a path means (our layout, SpiffArena's, one exported file), the process ids taken
from a file, the default role for tasks outside any lane, and SpiffWorkflow's errors located."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from engine import ProcessInstance, check_files, load_files
from engine.definitions import read_folder
from engine.process_files import file_target, targets, top_process_ids
from engine.sandbox import evaluate, execute

ROOT = Path(__file__).resolve().parents[2]
SPIFFARENA = ROOT / "tests" / "fixtures" / "spiffarena_model"
MINI = Path(__file__).parent / "fixtures" / "mini"
ROLES = ["contact_handler", "case_officer", "decision_maker", "disclosure_officer"]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _ids(xml: str) -> list[str]:
    return list(top_process_ids(etree.fromstring(xml.encode())))


def test_the_process_id_comes_from_the_file():
    head = f'<definitions xmlns="{BPMN}">'
    assert _ids(head + '<process id="a"/><process id="b" isExecutable="true"/></definitions>') \
        == ["b"]
    pools = (head + '<collaboration id="c"><participant id="p1" processRef="a"/>'
             '<participant id="p2" processRef="b"/></collaboration>'
             '<process id="a"><startEvent id="s1"/></process>'
             '<process id="b"><startEvent id="s2"/></process><process id="z"/></definitions>')
    assert _ids(pools) == ["a", "b"]
    called = (head + '<process id="sub"><startEvent id="s"/></process><process id="main">'
              '<callActivity id="c" calledElement="sub"/></process></definitions>')
    assert _ids(called) == ["main"]


def test_a_spiffarena_folder_gives_its_primary_process_and_reads_forms_beside_the_diagram():
    (target,) = targets(SPIFFARENA)
    assert target.process_ids == ("Process_ask_name_x1",)
    assert set(target.files) == {"ask_name.bpmn", "forms/ask-name.json", "forms/ask-name_ui.json"}
    definition = load_files(target.files, target.process_ids[0], default_role="case_officer")
    assert definition.form_for("ask-name.json")["required"] == ["name"]
    assert definition.ui_for("ask-name.json", "ask-name_ui.json") == {
        "name": {"ui:help": "As it is written on their passport"}}
    instance = ProcessInstance.start(definition, {})
    (task,) = instance.human_tasks(lanes={""})  # a task outside any lane
    assert task.bpmn_id == "ask_name"
    status = instance.complete_task(task.task_id, {"name": "Ann"}, lanes={""})
    assert status.status == "completed"
    assert instance.data()["greeting"] == "Hello Ann"


def test_one_file_is_checked_with_its_folders_forms_and_declarations_but_not_other_diagrams():
    target = file_target(MINI / "mini.bpmn")
    assert target.process_ids == ("mini",)
    assert "scheme.json" in target.files
    assert any(name.startswith("forms/") for name in target.files)


def _without_lanes(files: dict[str, bytes], declaration: dict | None) -> dict[str, bytes]:
    files = dict(files)
    root = etree.fromstring(files["mini.bpmn"])
    for lane_set in root.iter(f"{{{BPMN}}}laneSet"):
        lane_set.getparent().remove(lane_set)
    files["mini.bpmn"] = etree.tostring(root)
    scheme = json.loads(files["scheme.json"])
    scheme.update(declaration or {})
    files["scheme.json"] = json.dumps(scheme, indent=2).encode()
    return files


def test_a_diagram_without_lanes_runs_with_the_declared_default_role():
    files = read_folder(MINI)
    unlaned = _without_lanes(files, None)
    errors = [p.message for p in check_files(unlaned, "mini", roles=ROLES)
              if p.severity == "error"]
    assert any("not in a lane" in m for m in errors)
    declared = _without_lanes(files, {"default_role": "case_officer"})
    assert not [str(p) for p in check_files(declared, "mini", roles=ROLES)
                if p.severity == "error" and "lane" in p.message]
    definition = load_files(declared, "mini", roles=ROLES)
    assert definition.scheme.role_for_lane(None) == "case_officer"
    assert definition.scheme.role_for_lane("Case officer") == "case_officer"
    assert not [p for p in check_files(unlaned, "mini", default_role="case_officer")
                if "lane" in p.message]


def test_a_default_role_that_is_not_a_role_is_refused_at_its_line():
    declared = _without_lanes(read_folder(MINI), {"default_role": "janitor"})
    problems = [p for p in check_files(declared, "mini", roles=ROLES)
                if p.file == "scheme.json" and "default_role" in p.message]
    (problem,) = problems
    line = next(i for i, text in enumerate(declared["scheme.json"].decode().splitlines(), 1)
                if '"default_role"' in text)
    assert problem.line == line
    assert "'janitor' is not a role" in problem.message


def test_spiffarenas_date_and_time_helpers_run_in_the_sandbox():
    assert evaluate("get_localtime(datetime(2026, 7, 1, 12, 0)).hour") == 13  # BST
    assert evaluate("get_localtime(datetime(2026, 1, 1, 12, 0)).hour") == 12  # GMT
    assert evaluate("(date(2026, 3, 1) - date(2026, 2, 1)).days") == 28
    data = execute("due = datetime.fromisoformat(received) + timedelta(days=28)",
                   {"received": "2026-01-02T09:00:00"})
    assert data["due"].isoformat() == "2026-01-30T09:00:00"


def test_a_spiffworkflow_error_is_whole_located_and_on_one_line():
    files = read_folder(MINI)
    root = etree.fromstring(files["mini.bpmn"])
    store = etree.Element(f"{{{BPMN}}}dataStore", id="store", name="Data. Store\nReference")
    root.insert(0, store)
    files["mini.bpmn"] = etree.tostring(root)
    (problem,) = [p for p in check_files(files, "mini") if "data store" in p.message]
    assert problem.message.startswith('data store "Data. Store Reference" cannot be run here')
    assert problem.element_id == "store"
    assert problem.line is not None and problem.line > 1
