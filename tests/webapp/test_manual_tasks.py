"""A manual task (work done outside the system, no form) appears in the inbox like a user task
and an officer marks it done from its page: the toy scheme with one added before 'tell'."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client

from tests import factories
from webapp.cases import services
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.processes.registry import version_from_folder

from .test_toy_scheme import TOY, _sample

pytestmark = pytest.mark.django_db

MANUAL = ('<bpmn:manualTask id="mt_toy_post" name="Post the letter to the reporter">'
          '<bpmn:incoming>tf_upheld</bpmn:incoming><bpmn:outgoing>tf_posted</bpmn:outgoing>'
          '</bpmn:manualTask><bpmn:sequenceFlow id="tf_posted" sourceRef="mt_toy_post" '
          'targetRef="ut_toy_tell" />')


def _with_manual_task(folder: Path) -> Path:
    shutil.copytree(TOY, folder)
    bpmn = folder / "toy.bpmn"
    text = bpmn.read_text()
    for old, new in (
            ('<bpmn:flowNodeRef>ut_toy_tell</bpmn:flowNodeRef>',
             '<bpmn:flowNodeRef>ut_toy_tell</bpmn:flowNodeRef>'
             '<bpmn:flowNodeRef>mt_toy_post</bpmn:flowNodeRef>'),
            ('sourceRef="gw_toy_uphold" targetRef="ut_toy_tell"',
             'sourceRef="gw_toy_uphold" targetRef="mt_toy_post"'),
            ('<bpmn:incoming>tf_upheld</bpmn:incoming>\n      <bpmn:outgoing>tf_told',
             '<bpmn:incoming>tf_posted</bpmn:incoming>\n      <bpmn:outgoing>tf_told'),
            ('<bpmn:sequenceFlow id="tf_told"', MANUAL + '<bpmn:sequenceFlow id="tf_told"')):
        assert old in text, old
        text = text.replace(old, new, 1)
    bpmn.write_text(text)
    return folder


def _ready(case: Case) -> dict[str, HumanTask]:
    return {t.bpmn_id: t for t in case.tasks.filter(state=TaskState.READY)}


def test_a_manual_task_is_offered_and_marked_done_from_its_page(tmp_path):
    hrt = factories.force()
    factories.deploy(hrt, version_from_folder("toy", _with_manual_task(tmp_path / "toy")))
    front = factories.officer("front", hrt, "contact_handler")
    officer = factories.officer("reviewer", hrt, "case_officer")
    inspector = factories.officer("inspector", hrt, "decision_maker")
    case = services.case_start(user=front, data=_sample("intake"), scheme="toy")
    for bpmn_id, user, form in (("ut_toy_review", officer, "review"),
                                ("ut_toy_decide", inspector, "decide")):
        task = _ready(case)[bpmn_id]
        services.task_claim(user=user, task_id=task.pk)
        services.task_complete(user=user, task_id=task.pk, data=_sample(form))

    post = _ready(case)["mt_toy_post"]
    assert (post.name, post.role, post.form_file) == (
        "Post the letter to the reporter", "case_officer", "")
    client = Client()
    client.force_login(officer)
    # the case's owner gets it, as with user tasks: it is in their inbox
    assert post.assignee == officer
    assert "Post the letter to the reporter" in client.get("/my-tasks/").content.decode()
    page = client.get(f"/tasks/{post.pk}/").content.decode()
    assert "Mark as done" in page
    assert "Save draft" not in page and ">Submit<" not in page

    response = client.post(f"/tasks/{post.pk}/", {"action": "complete"})
    assert response.status_code == 302, response.content.decode()[:2000]
    post.refresh_from_db()
    assert post.state == TaskState.COMPLETED and post.completed_by == officer
    assert set(_ready(case)) == {"ut_toy_tell"}
