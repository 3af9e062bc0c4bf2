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
