"""`manage.py process_check` prints problems as file:line: element: message and fails on errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "engine" / "fixtures" / "mini"


def _run(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", "process_check", *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)


def test_a_clean_process_passes(tmp_path):
    result = _run(MINI)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout


def test_every_problem_is_printed_with_file_line_and_element_and_the_exit_code_fails(tmp_path):
    broken = tmp_path / "mini"
    shutil.copytree(MINI, broken)
    bpmn = broken / "mini.bpmn"
    text = bpmn.read_text().replace("score &gt;= 20", "score.__class__ &gt;= 20")
    text = text.replace("<bpmn:flowNodeRef>ut_approve</bpmn:flowNodeRef>", "")
    bpmn.write_text(text)
    result = _run(bpmn)
    assert result.returncode == 1
    lines = text.splitlines()
    cond_line = next(i for i, line in enumerate(lines, 1) if "__class__" in line)
    task_line = next(i for i, line in enumerate(lines, 1)
                     if '<bpmn:userTask id="ut_approve"' in line)
    assert f"{bpmn}:{cond_line}: f_high: error:" in result.stdout
    assert (f"{bpmn}:{task_line}: ut_approve: error: The user task 'Approve' is not in a "
            "lane, so nobody would be offered it.") in result.stdout
    assert "2 error(s)" in result.stdout


def test_the_national_processes_pass():
    result = _run(ROOT / "processes")
    assert result.returncode == 0, result.stdout
    assert "csods" in result.stdout


BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
SCRIPT_ONLY = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS} id="d" targetNamespace="x">
  <bpmn:process id="{{pid}}" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="st"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="st"/>
    <bpmn:sequenceFlow id="f2" sourceRef="st" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""
SPIFFARENA = ROOT / "tests" / "fixtures" / "spiffarena_model"


def _problem_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines()
            if not line.endswith(": ok") and "error(s)," not in line]


def test_a_single_exported_file_is_checked_on_its_own_with_its_process_id_from_the_file(
        tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "first.bpmn").write_text(SCRIPT_ONLY.format(pid="Process_1"))
    (exports / "second.bpmn").write_text(SCRIPT_ONLY.format(pid="Process_1"))  # same id
    result = _run(exports / "first.bpmn")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{exports / 'first.bpmn'}: ok" in result.stdout
    assert "not found" not in result.stdout
    result = _run(exports)  # a folder of exports: each file on its own
    assert result.returncode == 0, result.stdout
    assert f"{exports / 'second.bpmn'}: ok" in result.stdout


def test_bpmn20_xml_files_are_checked_and_an_empty_folder_is_an_error(tmp_path):
    folder = tmp_path / "vendor"
    folder.mkdir()
    good = folder / "good.bpmn20.xml"
    good.write_text(SCRIPT_ONLY.format(pid="P"))
    bad = folder / "bad.bpmn20.xml"
    bad.write_text(SCRIPT_ONLY.format(pid="Q").replace('targetRef="e"', 'targetRef="nowhere"'))
    result = _run(folder)
    assert result.returncode == 1
    assert f"{good}: ok" in result.stdout
    assert f"{bad}:" in result.stdout and "nowhere" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _run(empty)
    assert result.returncode == 1
    assert f"{empty}: -: error: the folder has no process files" in result.stdout
    (empty / "notes.txt").write_text("hello")
    result = _run(empty / "notes.txt")
    assert result.returncode == 1
    assert "not a process file" in result.stdout


def _malformed(folder: Path) -> dict[str, bytes]:
    huge = "N" * 5000
    cases = {
        "empty.bpmn": b"",
        "binary.bpmn": bytes(range(256)) * 20,
        "page.bpmn": b"<!-- a web page --><html><body><p>Hello</p></body></html>",
        "truncated.bpmn": SCRIPT_ONLY.format(pid="T").encode()[:300],
        "wrong_namespace.bpmn": b'<definitions xmlns="http://example.com/other" id="d">'
                                b'<process id="p"/></definitions>',
        "no_namespace.bpmn20.xml": b'<definitions id="d"><process id="p"/></definitions>',
        "no_decision.dmn": b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"'
                           b' id="d" name="D" namespace="x"></definitions>',
        "no_process.bpmn": f'<bpmn:definitions {BPMN_NS} id="d" targetNamespace="x">'
                           f'</bpmn:definitions>'.encode(),
        "names.bpmn": SCRIPT_ONLY.format(pid="N").replace(
            "<bpmn:process ", '<bpmn:dataStore id="store" name="Data. Store\nReference"/>'
                              "<bpmn:process ").replace(
            '<bpmn:scriptTask id="st">', f'<bpmn:scriptTask id="st" name="{huge}. Next\nline">'
        ).encode(),
        "adhoc.bpmn": SCRIPT_ONLY.format(pid="A").replace(
            '<bpmn:scriptTask id="st"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2'
            '</bpmn:outgoing>', '<bpmn:adHocSubProcess id="st"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:scriptTask id="inner">').replace(
            "</bpmn:scriptTask>", "</bpmn:scriptTask></bpmn:adHocSubProcess>").encode(),
        "not_executable.bpmn": SCRIPT_ONLY.format(pid="X").replace(
            'isExecutable="true"', 'isExecutable="false"').encode(),
        "deep.bpmn": b"<a>" * 200 + b"</a>" * 200,
        "entity.bpmn": b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
        "latin1.bpmn": '<?xml version="1.0" encoding="UTF-8"?><x name="caf\xe9"/>'.encode(
            "latin-1"),
    }
    for name, data in cases.items():
        (folder / name).write_bytes(data)
    return cases


def test_no_input_makes_the_check_fail_with_a_traceback_and_every_problem_is_located(tmp_path):
    folder = tmp_path / "malformed"
    folder.mkdir()
    cases = _malformed(folder)
    result = _run(folder, *(folder / name for name in sorted(cases)))
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 1
    lines = _problem_lines(result.stdout)
    for name in cases:
        assert any(line.startswith(f"{folder / name}") for line in result.stdout.splitlines()), name
    for line in lines:
        # file:line: element: severity: message — a line number, never 0, on every problem
        path, _, rest = line.partition(".bpmn" if ".bpmn" in line else ".dmn")
        number = rest.removeprefix("20.xml").split(":")[1]
        assert number.isdigit() and int(number) >= 1, line
    store = next(line for line in lines if "data store" in line)
    assert ': data store "Data. Store Reference" cannot be run here' in store
    assert store.startswith(f"{folder / 'names.bpmn'}:4: store: error:")  # at the data store
    assert any("no_decision.dmn:1: -: error: the DMN file has no <decision>" in line
               for line in lines)
    assert any("wrong_namespace.bpmn:1: -: error: this is not a BPMN or DMN file" in line
               for line in lines)
    assert any("no_process.bpmn:1: -: error: the diagram has no process" in line
               for line in lines)
    assert not any(line.strip() == "Store Reference has no implementation" for line in lines)


def test_a_spiffarena_model_folder_reads_its_primary_process_and_forms_beside_the_diagram():
    result = _run(SPIFFARENA)
    assert result.returncode == 1
    assert "ask_name: error: The user task 'Ask a name' is not in a lane" in result.stdout
    assert "form 'ask-name.json' does not exist" not in result.stdout
    result = subprocess.run(
        [sys.executable, "manage.py", "process_check", "--role", "case_officer", str(SPIFFARENA)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout
    assert f"{SPIFFARENA}: ok" in result.stdout


def test_an_unknown_role_is_refused():
    result = subprocess.run(
        [sys.executable, "manage.py", "process_check", "--role", "janitor", str(SPIFFARENA)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode != 0
    assert "invalid choice: 'janitor'" in result.stderr
