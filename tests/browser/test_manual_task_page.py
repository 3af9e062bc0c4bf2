"""A manual task's page (no form, one 'Mark as done' button) passes axe-core, fits a phone's
width, and marking it done moves the case on."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.browser.pages import CHROMIUM, axe_violations, sign_in
from tests.webapp.test_manual_tasks import _ready, _with_manual_task
from tests.webapp.test_toy_scheme import _sample
from webapp.cases import services
from webapp.cases.models import TaskState
from webapp.processes.registry import version_from_folder

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_a_manual_task_page_is_accessible_and_marks_the_task_done(page: Any, hrt: Any,
                                                                   tmp_path: Any, width: int):
    factories.deploy(hrt, version_from_folder("toy", _with_manual_task(tmp_path / "toy")))
    inspector = factories.officer("hrt.inspector", hrt, "decision_maker")
    officer = factories.officer("hrt.reviewer", hrt, "case_officer")
    case = services.case_start(user=factories.officer("hrt.front", hrt, "contact_handler"),
                               data=_sample("intake"), scheme="toy")
    for bpmn_id, user, form in (("ut_toy_review", officer, "review"),
                                ("ut_toy_decide", inspector, "decide")):
        task = _ready(case)[bpmn_id]
        services.task_claim(user=user, task_id=task.pk)
        services.task_complete(user=user, task_id=task.pk, data=_sample(form))
    post = _ready(case)["mt_toy_post"]

    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "hrt.reviewer")
    page.goto(f"/tasks/{post.pk}/")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll <= inner
    page.get_by_role("button", name="Mark as done").click()
    page.wait_for_load_state("networkidle")
    post.refresh_from_db()
    assert post.state == TaskState.COMPLETED
    assert set(_ready(case)) == {"ut_toy_tell"}
