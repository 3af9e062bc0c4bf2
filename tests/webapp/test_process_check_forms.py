"""`manage.py process_check` names the form file, the keyword and the reason for unsafe forms."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "engine" / "fixtures" / "mini"


def test_unsafe_forms_are_errors_with_the_file_and_the_keyword(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    enter = folder / "forms" / "enter.schema.json"
    schema = json.loads(enter.read_text())
    schema["properties"]["concern"] = {"$ref": "file:///etc/hostname"}
    schema["properties"]["children"]["items"]["properties"]["name"]["pattern"] = "^(?=x)"
    enter.write_text(json.dumps(schema))
    approve = folder / "forms" / "approve.schema.json"
    approve.write_text('{"$ref": "#"}')
    result = subprocess.run([sys.executable, "manage.py", "process_check", str(folder)],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert (f"{enter}:1: /properties/concern/$ref: error: only references inside this form "
            "are allowed") in out
    assert (f"{enter}:1: /properties/children/items/properties/name/pattern: error: "
            "field 'children.name': pattern '^(?=x)' cannot be used") in out
    assert f"{approve}:1: /$ref: error: this '$ref' leads back to itself" in out
