"""Process studio services: drafts, publishing, four-eyes deployment, overlays and drift."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.engine.test_diff import (
    answering_the_second_opinion,
    as_bpmn_js_saves_it,
    with_second_opinion,
)
from webapp.cases import services as cases
from webapp.errors import ServiceError
from webapp.forces.models import SchemeDeployment
from webapp.processes import national_base, services
from webapp.processes.drift import drift_report
from webapp.processes.models import ProcessVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    v1 = factories.version("csods", factories.CSODS)
    war = factories.force("WAR", "Warwickshire", process=v1)
    hrt = factories.force("HRT", "Hertfordshire", process=v1)
    return {
        "v1": v1, "war": war, "hrt": hrt,
        "lead": factories.officer("war.policy", war, "policy_lead"),
        "lead2": factories.officer("war.policy2", war, "policy_lead"),
        "hrt_lead": factories.officer("hrt.policy", hrt, "policy_lead"),
        "officer": factories.officer("war.officer", war, "case_officer"),
        "contact": factories.officer("war.contact", war, "contact_handler"),
    }


def _runs(force) -> ProcessVersion:
    return SchemeDeployment.objects.get(force=force, scheme="csods").active_version


def _renamed(world, old: str, new: str):
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    text = draft.files["csods.bpmn"]
    assert old in text
    return services.draft_save(user=world["lead"], draft_id=draft.pk,
                               files={"csods.bpmn": text.replace(old, new, 1)})


def test_only_policy_leads_edit(world):
    with pytest.raises(ServiceError) as caught:
        services.draft_create(user=world["officer"], version_id=world["v1"].pk)
    assert caught.value.http_status == 403


def test_save_checks_and_a_version_with_errors_cannot_be_published(world):
    draft = _renamed(world, "<bpmn:flowNodeRef>ut_decision</bpmn:flowNodeRef>", "")
    assert draft.error_count >= 1
    problem = next(p for p in draft.problems if p["element_id"] == "ut_decision")
    assert "not in a lane" in problem["message"] and problem["line"] > 0
    with pytest.raises(ServiceError) as caught:
        services.version_publish(user=world["lead"], draft_id=draft.pk, note="broken")
    assert caught.value.http_status == 409
    assert ProcessVersion.objects.count() == 1


def test_hostile_xml_is_refused_and_the_draft_is_unchanged(world):
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(ServiceError) as caught:
        services.draft_save(user=world["lead"], draft_id=draft.pk, files={"csods.bpmn": evil})
    assert caught.value.http_status == 400 and "DOCTYPE" in caught.value.message
    draft.refresh_from_db()
    assert draft.files["csods.bpmn"] == world["v1"].files["csods.bpmn"]


def test_publish_freezes_an_immutable_version_with_its_note(world):
    draft = _renamed(world, 'name="Decide on disclosure"', 'name="Decide on the disclosure"')
    assert draft.error_count == 0
    with pytest.raises(ServiceError):
        services.version_publish(user=world["lead"], draft_id=draft.pk, note="  ")
    v2 = services.version_publish(user=world["lead"], draft_id=draft.pk, note="Clearer name")
    assert (v2.number, v2.base, v2.note) == (2, world["v1"], "Clearer name")
    assert v2.content_hash != world["v1"].content_hash
    with pytest.raises(ValueError, match="immutable"):
        v2.save()
    with pytest.raises(ServiceError) as caught:  # the draft is spent
        services.draft_save(user=world["lead"], draft_id=draft.pk,
                            files={"csods.bpmn": v2.files["csods.bpmn"]})
    assert caught.value.http_status == 409


def test_deployment_needs_a_second_policy_lead_and_new_cases_follow_it(world):
    old_case = cases.case_start(user=world["contact"], data=factories.sample("enquiry"))
    draft = _renamed(world, 'name="Decide on disclosure"', 'name="Decide on the disclosure"')
    v2 = services.version_publish(user=world["lead"], draft_id=draft.pk, note="Clearer name")
    request = services.deployment_request(user=world["lead"], version_id=v2.pk, note="Pilot")
    with pytest.raises(ServiceError) as caught:
        services.deployment_decide(user=world["lead"], deployment_id=request.pk, approve=True)
    assert caught.value.http_status == 403  # not your own change
    with pytest.raises(ServiceError) as caught:
        services.deployment_decide(user=world["hrt_lead"], deployment_id=request.pk,
                                   approve=True)
    assert caught.value.http_status == 404  # another force's request
    assert _runs(world["war"]) == world["v1"]  # nothing deployed without approval
    decided = services.deployment_decide(user=world["lead2"], deployment_id=request.pk,
                                         approve=True)
    assert decided.status == "deployed" and decided.decided_by == world["lead2"]
    assert _runs(world["war"]) == v2
    new_case = cases.case_start(user=world["contact"], data=factories.sample("enquiry"))
    old_case.refresh_from_db()
    assert (new_case.version, old_case.version) == (v2, world["v1"])
    assert _runs(world["hrt"]) == world["v1"]


def test_force_overlay_parameters_reach_the_process(world):
    SchemeDeployment.objects.filter(force=world["war"]).update(
        parameters={"decision_route": "panel"})
    case = cases.case_start(user=world["contact"], data=factories.sample("enquiry"))
    from engine import ProcessInstance
    from webapp.processes.registry import definition_for_id

    data = ProcessInstance.load(definition_for_id(case.version_id), case.state).data()
    assert (data["decision_route"], data["interview_mode"], data["recipient_rule"]) == (
        "panel", "in_person", "best_placed")
    assert case.scheme == "csods"


def test_an_overlay_or_profile_value_the_scheme_does_not_declare_is_refused(world):
    SchemeDeployment.objects.filter(force=world["war"]).update(parameters={"shoe_size": 9})
    with pytest.raises(ServiceError) as caught:
        cases.case_start(user=world["contact"], data=factories.sample("enquiry"))
    assert "'shoe_size'" in caught.value.message and "does not declare" in caught.value.message
    SchemeDeployment.objects.filter(force=world["war"]).update(
        parameters={"decision_route": "coin toss"})
    with pytest.raises(ServiceError) as caught:
        cases.case_start(user=world["contact"], data=factories.sample("enquiry"))
    assert "'decision_route'" in caught.value.message and "options" in caught.value.message
    deployment = SchemeDeployment.objects.get(force=world["war"])
    deployment.parameters = {}
    deployment.save()
    profile = deployment.time_limit_profile
    profile.limits = {**profile.limits, "limit_initial": "a day or so"}
    profile.save()
    with pytest.raises(ServiceError) as caught:
        cases.case_start(user=world["contact"], data=factories.sample("enquiry"))
    assert "limit_initial" in caught.value.message and "duration" in caught.value.message


def test_drift_report_lists_every_difference_from_the_base(world):
    SchemeDeployment.objects.filter(force=world["war"]).update(
        parameters={"decision_route": "panel"}, lane_teams={"Decision maker": "MAPPA panel"})
    (scheme,) = drift_report()
    assert scheme.scheme == "csods" and scheme.base is None  # no base designated yet
    report = {row.force.code: row.differences for row in scheme.forces}
    assert report["HRT"] == []
    assert ("Who decides", "A decision maker", "A multi-agency panel") in report["WAR"]
    assert ("Decision maker lane", "any team of the role", "MAPPA panel") in report["WAR"]


def test_the_national_base_is_an_approved_designation_not_the_newest_version(world):
    draft = _renamed(world, 'name="Decide on disclosure"', 'name="Decide on the disclosure"')
    v2 = services.version_publish(user=world["lead"], draft_id=draft.pk, note="Clearer name")
    (scheme,) = drift_report()
    assert scheme.base is None  # v2 is newest but nobody designated it
    assert all(row.differences == [] for row in scheme.forces)
    asked = national_base.base_request(user=world["lead"], version_id=world["v1"].pk)
    with pytest.raises(ServiceError) as caught:
        national_base.base_approve(user=world["lead"], designation_id=asked.pk)
    assert caught.value.http_status == 403  # a different policy lead approves
    assert drift_report()[0].base is None
    national_base.base_approve(user=world["lead2"], designation_id=asked.pk)
    assert drift_report()[0].base == world["v1"]
    asked = national_base.base_request(user=world["lead"], version_id=v2.pk)
    assert drift_report()[0].base == world["v1"]  # v2 still awaits approval
    national_base.base_approve(user=world["hrt_lead"], designation_id=asked.pk)
    report = {row.force.code: row.differences for row in drift_report()[0].forces}
    assert report["WAR"] == [("Process version", str(v2), str(world["v1"]))]


def test_the_studio_page_lists_versions_and_drift_per_scheme(world, client):
    mini = factories.version()
    factories.deploy(world["war"], mini)
    client.force_login(world["lead"])
    page = client.get("/studio/").content.decode()
    assert "Versions of Sarah&#x27;s Law" in page and "Versions of Mini" in page
    drift = client.get("/studio/drift/").content.decode()
    assert "Child Sex Offender Disclosure Scheme" in drift and "Mini scheme" in drift
    assert "none approved yet" in drift
    response = client.post(f"/studio/versions/{mini.pk}/national-base/")
    assert response.status_code == 302
    client.force_login(world["lead2"])
    page = client.get("/studio/").content.decode()
    assert "asks to make Mini version 1 the national base" in page


def test_deploying_a_version_changes_only_its_schemes_deployment(world):
    mini = factories.version()
    factories.deploy(world["war"], mini)
    draft = _renamed(world, 'name="Decide on disclosure"', 'name="Decide on the disclosure"')
    v2 = services.version_publish(user=world["lead"], draft_id=draft.pk, note="Clearer name")
    request = services.deployment_request(user=world["lead"], version_id=v2.pk, note="Pilot")
    services.deployment_decide(user=world["lead2"], deployment_id=request.pk, approve=True)
    runs = dict(SchemeDeployment.objects.filter(force=world["war"])
                .values_list("scheme", "active_version"))
    assert runs == {"csods": v2.pk, "mini": mini.pk}


def test_a_save_over_someone_elses_newer_save_is_refused(world):
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    opened_at = draft.updated_at.isoformat()
    text = draft.files["csods.bpmn"]
    services.draft_save(user=world["lead2"], draft_id=draft.pk, if_saved_at=opened_at,
                        files={"csods.bpmn": text.replace("Decide on disclosure", "Decide", 1)})
    with pytest.raises(ServiceError) as caught:
        services.draft_save(user=world["lead"], draft_id=draft.pk, if_saved_at=opened_at,
                            files={"csods.bpmn": text})
    assert caught.value.http_status == 409 and "war.policy2" in caught.value.message


def test_a_second_pending_request_for_the_same_version_is_refused(world):
    draft = _renamed(world, 'name="Decide on disclosure"', 'name="Decide on the disclosure"')
    v2 = services.version_publish(user=world["lead"], draft_id=draft.pk, note="Clearer name")
    services.deployment_request(user=world["lead"], version_id=v2.pk, note="Pilot")
    with pytest.raises(ServiceError) as caught:
        services.deployment_request(user=world["lead2"], version_id=v2.pk, note="Again")
    assert caught.value.http_status == 409


CAMUNDA_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1"
    targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler"
    exporterVersion="5.20.0">
  <bpmn:process id="csods" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_review" />
    <bpmn:userTask id="Activity_review" name="Review" camunda:formKey="embedded:app:review.html"
                   camunda:assignee="${initiator}">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_review" targetRef="Activity_call" />
    <bpmn:serviceTask id="Activity_call" name="Call PND" camunda:type="external"
                      camunda:topic="pnd">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Activity_call" targetRef="End_1">
      <bpmn:conditionExpression>${approved}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane id="P1" bpmnElement="csods">
    <bpmndi:BPMNShape id="S1" bpmnElement="StartEvent_1">
      <dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_a_diagram_from_camunda_modeler_imports_and_is_reported_element_by_element(world):
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    draft = services.draft_save(user=world["lead"], draft_id=draft.pk,
                                files={"csods.bpmn": CAMUNDA_EXPORT})
    by_element = {}
    for problem in draft.problems:
        by_element.setdefault(problem["element_id"], []).append(problem["message"])
    assert any("not in a lane" in m for m in by_element["Activity_review"])
    assert any("has no form. Choose one under 'Form' in the panel on the right." in m
               for m in by_element["Activity_review"])
    assert any("is a service task, which cannot run here" in m
               for m in by_element["Activity_call"])
    assert any("written in JUEL" in m for m in by_element["Flow_3"])  # a JUEL ${…} expression
    assert any("camunda:assignee" in m and "lanes" in m for m in by_element["Activity_review"])
    assert all(p["line"] for p in draft.problems if p["element_id"])


def test_the_file_limit_holds_across_saves(world, client):
    # given: a draft, saved three times with 100 new files each
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    client.force_login(world["lead"])
    already = len(draft.files)
    statuses = []
    for batch in range(3):
        files = {f"forms/extra{batch}x{n}.ui.json": "{}" for n in range(100)}
        statuses.append(client.post(f"/studio/drafts/{draft.pk}/save/",
                                    data={"files": files}, content_type="application/json"))

    # then: the draft never holds more than the limit
    draft.refresh_from_db()
    assert len(draft.files) <= services.MAX_FILES
    assert statuses[-1].status_code == 400
    assert "files" in statuses[-1].json()["detail"]
    assert already < services.MAX_FILES


def test_a_downloaded_file_name_is_escaped_in_content_disposition(world, client):
    # given: a draft file whose name carries a quote and a parameter of its own
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    name = 'forms/x";filename=evil.exe;a=".ui.json'
    services.draft_save(user=world["lead"], draft_id=draft.pk, files={name: "{}"})
    client.force_login(world["lead"])

    # when
    response = client.get(f"/studio/drafts/{draft.pk}/files/{name}", {"download": "1"})

    # then: the whole name is one quoted, escaped parameter
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header == 'attachment; filename="x\\";filename=evil.exe;a=\\".ui.json"'


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"files": {"a.json": "{}"}, "x": ' + b"9" * 5000 + b"}",
                                  b'{"files": ' + b"[" * 70 + b"]" * 70 + b"}"])
def test_a_studio_save_of_json_it_cannot_read_is_a_400_and_the_draft_is_unchanged(
        world, client, body):
    # given: a draft
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    before = dict(draft.files)
    client.force_login(world["lead"])

    # when: the body is nested past any form, or carries a number Python will not read
    answer = client.post(f"/studio/drafts/{draft.pk}/save/", data=body,
                         content_type="application/json")

    # then: a 400 with a message, never a 500, and the draft as it was
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    draft.refresh_from_db()
    assert draft.files == before


def test_an_orphan_task_and_an_undefined_variable_block_publishing(world):
    orphan = ('<bpmn:userTask id="ut_orphan" name="Second look">'
              "<bpmn:extensionElements><spiffworkflow:properties>"
              '<spiffworkflow:property name="formJsonSchemaFilename" '
              'value="decision.schema.json" /></spiffworkflow:properties>'
              "</bpmn:extensionElements></bpmn:userTask>\n    ")
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    text = draft.files["csods.bpmn"]
    text = text.replace('<bpmn:flowNodeRef>ut_decision</bpmn:flowNodeRef>',
                        '<bpmn:flowNodeRef>ut_decision</bpmn:flowNodeRef>'
                        '<bpmn:flowNodeRef>ut_orphan</bpmn:flowNodeRef>', 1)
    text = text.replace('<bpmn:userTask id="ut_decision"', orphan + '<bpmn:userTask '
                        'id="ut_decision"', 1)
    text = text.replace("Applicant: {{ (applicant", "Case {{ case_ref }}. Applicant: "
                        "{{ (applicant", 1)
    draft = services.draft_save(user=world["lead"], draft_id=draft.pk,
                                files={"csods.bpmn": text})
    lines = text.splitlines()
    by_element = {p["element_id"]: p for p in draft.problems}
    assert by_element["ut_orphan"]["message"].startswith(
        "The user task 'Second look' is not connected to anything")
    assert by_element["ut_orphan"]["line"] == next(
        i for i, line in enumerate(lines, 1) if 'id="ut_orphan"' in line)
    breach = by_element["ut_review_initial_breach"]  # the first task whose text was changed
    assert breach["message"].startswith(
        "The instructions of the user task 'Review breach: initial checks overdue' use "
        "'case_ref', but no form")
    assert breach["line"] == next(
        i for i, line in enumerate(lines, 1) if "{{ case_ref }}" in line)
    assert draft.error_count == 2  # noqa: PLR2004
    with pytest.raises(ServiceError) as caught:
        services.version_publish(user=world["lead"], draft_id=draft.pk, note="orphan")
    assert caught.value.http_status == 409


def _section(page: str, heading_id: str) -> list[str]:
    """The items listed under one of the diff page's headings, as text."""
    block = page.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", "", item).split())
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_the_diff_of_one_added_task_lists_exactly_that_task_by_name(world, client):
    # given: the national diagram as the studio's modeler saves it, with one task added
    draft = services.draft_create(user=world["lead"], version_id=world["v1"].pk)
    files = {name: text.encode() for name, text in world["v1"].files.items()}
    edited = as_bpmn_js_saves_it(with_second_opinion(files))["csods.bpmn"].decode()
    draft = services.draft_save(user=world["lead"], draft_id=draft.pk,
                                files={"csods.bpmn": edited,
                                       **answering_the_second_opinion(world["v1"].files)})
    assert draft.error_count == 0, draft.problems
    v2 = services.version_publish(user=world["lead"], draft_id=draft.pk, note="Second opinion")
    client.force_login(world["lead"])
    page = client.get(f"/studio/diff/?a={world['v1'].pk}&b={v2.pk}").content.decode()
    assert _section(page, "added-h") == ["User task &#x27;Second opinion&#x27;"]
    assert _section(page, "removed-h") == _section(page, "changed-h") == ["Nothing"]
    text = page.split("<main", 1)[1].split('id="diagram-marks"', 1)[0]
    assert "Second opinion" in text
    assert "boundaryEvent" not in text and "userTask" not in text and "ut_second" not in text
