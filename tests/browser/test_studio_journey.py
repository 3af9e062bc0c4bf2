"""A process change in a real browser: a Warwickshire policy lead opens the national process as
a draft, adds a user task in the bpmn-js modeler, saves and sees the engine's lint error marked
on the diagram (and cannot publish), fixes it in the properties panel, publishes v2 and asks to
deploy it; a second policy lead approves. New cases then start on v2 while the case opened
before the change stays on v1. The studio pages are checked with axe-core."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import (
    CHROMIUM,
    assert_accessible,
    click,
    nav,
    sign_in,
    sign_out,
)
from webapp.cases.services import case_start
from webapp.forces.models import SchemeDeployment
from webapp.processes.models import ProcessDraft, ProcessVersion

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_TASK = "ut_quality_review"
NEW_NAME = "Quality review of the intelligence record"

ADD_TASK = """([taskId, taskName]) => {
  // What a policy lead does with the palette and the mouse: append a user task after
  // "Inform the applicant…" and route the flow through it to the follow-up gateway.
  const modeler = window.dwStudio.modeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const source = registry.get('ut_no_disclosure_outcome');
  const next = registry.get('gw_follow_up_support');
  const after = ['ut_follow_up_support', 'end_no_disclosure_recorded'].map(id => registry.get(id));
  modeling.moveElements([next, ...after], {x: 200, y: 0});
  const shape = modeling.appendShape(source, {type: 'bpmn:UserTask'},
    {x: source.x + source.width + 100, y: source.y + source.height / 2});
  modeling.updateProperties(shape, {id: taskId, name: taskName});
  modeling.removeConnection(registry.get('fn_done'));
  modeling.connect(shape, next);
  return shape.id;
}"""

EXPORT = "() => window.dwStudio.modeler.saveXML({format: true}).then(r => r.xml)"


@pytest.fixture
def warwickshire(_orm_beside_playwright, transactional_db):
    """Hertfordshire and Warwickshire on v1, two Warwickshire policy leads, and one Warwickshire
    case started before the change."""
    v1 = factories.version("csods", factories.CSODS)
    factories.force("HRT", "Hertfordshire", process=v1)
    war = factories.force("WAR", "Warwickshire", process=v1)
    factories.officer("war.policy", war, "policy_lead")
    factories.officer("war.policy2", war, "policy_lead")
    contact = factories.officer("war.contact", war, "contact_handler")
    older = case_start(user=contact, data=factories.sample("enquiry"))
    return {"force": war, "v1": v1, "older": older}


@pytest.fixture
def console_errors(page):
    """Errors bpmn-js or the studio log to the console (a refused POST's status aside)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    yield errors
    assert not errors, f"console errors: {errors}"


def spiff_tags(xml: str) -> Counter:
    return Counter(re.findall(r"<spiffworkflow:(\w+)", xml))


def wait_ready(page) -> None:
    page.wait_for_selector('#studio[data-ready="true"]')


def save(page, errors: str) -> None:
    """Save and check; the status then ends with ``errors`` ("1 error", "0 errors")."""
    page.get_by_role("button", name="Save and check").click()
    status = page.locator("#save-status")
    status.filter(has_text=re.compile(r"^Saved at \d\d:\d\d – ")).wait_for()
    assert status.inner_text().endswith(errors), status.inner_text()


def marked(page, element_id: str) -> bool:
    return "dw-error" in (page.locator(f'.djs-element[data-element-id="{element_id}"]')
                          .first.get_attribute("class") or "")


def test_a_policy_lead_changes_the_process_and_new_cases_start_on_the_new_version(
        page, warwickshire, console_errors):
    older = warwickshire["older"]
    assert older.version.number == 1

    # --- the first policy lead opens v1 as a draft ----------------------------------------
    sign_in(page, "war.policy")
    nav(page, "Processes")
    assert page.get_by_role("heading", level=1).inner_text() == "Processes"
    assert_accessible(page)
    click(page, page.get_by_role("button", name="Edit as a draft from Sarah's Law version 1"))
    draft = ProcessDraft.objects.get()
    assert page.url.endswith(f"/studio/drafts/{draft.pk}/")
    wait_ready(page)
    assert page.locator("#problem-count").inner_text() == "0"
    assert page.locator("#modeler .djs-element.dw-error").count() == 0
    assert_accessible(page)  # the bpmn-js modeler included

    # The SpiffWorkflow extension elements survive import and export unchanged.
    original = draft.files["csods.bpmn"]
    exported = page.evaluate(EXPORT)
    assert spiff_tags(exported) == spiff_tags(original)
    assert spiff_tags(original)["property"] == 40  # noqa: PLR2004
    assert ('<spiffworkflow:property name="formJsonSchemaFilename" '
            'value="no_disclosure_outcome.schema.json" />') in exported

    # --- adds a user task without a form: saving shows the lint error on the diagram -----
    assert page.evaluate(ADD_TASK, [NEW_TASK, NEW_NAME]) == NEW_TASK
    assert page.locator("#save-status").inner_text() == "Unsaved changes."
    save(page, "1 error")
    problem = page.locator(f'#problems li[data-element="{NEW_TASK}"]')
    assert "has no form. Choose one under 'Form' in the panel on the right." in \
        problem.inner_text()
    assert NEW_NAME in problem.inner_text()
    assert page.locator("#problem-count").inner_text() == "1"
    assert marked(page, NEW_TASK)
    assert page.locator("#modeler .djs-element.dw-error").count() == 1
    assert_accessible(page)  # the bpmn-js modeler included

    # --- a version with errors cannot be published ----------------------------------------
    page.get_by_label("Change note: what changed and why").fill("Adds a quality review.")
    click(page, page.get_by_role("button", name="Publish as a new version"))
    # the publish form again, the refusal in its summary and the change note kept
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Publish the draft as a new version"
    assert ("The draft has 1 problem(s); fix them before publishing."
            in page.get_by_role("alert").inner_text())
    note = page.get_by_label("Change note: what changed and why").input_value()
    assert note == "Adds a quality review."
    assert_accessible(page)
    assert not ProcessVersion.objects.filter(number=2).exists()

    # --- back in the draft (saved with its error), the problem is marked on load ----------
    page.goto(f"/studio/drafts/{draft.pk}/")
    wait_ready(page)
    assert page.locator("#problem-count").inner_text() == "1"
    assert marked(page, NEW_TASK)
    # The problem's element is a button: it selects the task and opens it in the panel.
    page.locator(f'#problems button[data-element="{NEW_TASK}"]').click()
    properties = page.get_by_role("complementary", name="Properties")
    assert properties.get_by_label("ID", exact=True).input_value() == NEW_TASK
    assert properties.get_by_label("Name", exact=True).input_value() == NEW_NAME
    assert properties.get_by_label(
        "Lane (the role that does the work)").input_value() == "Case officer"
    assert "has no form. Choose one under 'Form'" in properties.inner_text()
    assert page.evaluate("document.activeElement.id") == "properties-heading"
    assert_accessible(page)  # with the panel's fields and bpmn-js's context pad open

    # --- fixes it in the properties panel: chooses a form, writes instructions ------------
    properties.get_by_label("Form", exact=True).select_option("no_disclosure_outcome.schema.json")
    instructions = properties.get_by_label("Instructions for the officer")
    instructions.fill("Check the intelligence record for {{ subject.last_name }}.")
    instructions.press("Tab")
    form = properties.get_by_label("Form", exact=True)
    ui_form = properties.get_by_label("Form layout (UI schema, optional)", exact=True)
    assert ui_form.input_value() == "no_disclosure_outcome.ui.json"
    # Each panel edit is one step on bpmn-js's command stack: undo and redo them.
    page.evaluate("() => window.dwStudio.modeler.get('commandStack').undo()")
    expect(instructions).to_have_value("")
    page.evaluate("() => window.dwStudio.modeler.get('commandStack').undo()")
    expect(form).to_have_value("")
    expect(ui_form).to_have_value("")
    page.evaluate("() => { const s = window.dwStudio.modeler.get('commandStack');"
                  " s.redo(); s.redo(); }")
    expect(form).to_have_value("no_disclosure_outcome.schema.json")
    expect(instructions).to_have_value(
        "Check the intelligence record for {{ subject.last_name }}.")
    # Keyboard users reach Save from the panel without the mouse (it comes just before it).
    properties.get_by_label("Go to an element").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "save"
    page.keyboard.press("Enter")
    # The shipped scenario of the no-disclosure path has no answer for the new task: it fails,
    # in words, and the policy lead deletes it (a walk through the draft would write another).
    page.locator("#save-status").filter(has_text="1 error").wait_for()
    assert ("The scenario has no answer for 'Quality review of the intelligence record'."
            in page.locator("#problems").inner_text())
    page.get_by_role("link", name="Manage the scenarios").click()
    page.get_by_role("link", name="Delete Full checks, then the decision maker decides not to "
                                  "disclose").click()
    click(page, page.get_by_role("button", name="Delete the scenario"))
    assert "Scenario deleted." in page.locator(".notices").inner_text()
    page.goto(f"/studio/drafts/{draft.pk}/")
    wait_ready(page)
    assert page.locator("#problem-count").inner_text() == "0"
    assert page.locator("#problems").inner_text() == "No problems found."
    assert page.locator("#modeler .djs-element.dw-error").count() == 0
    draft.refresh_from_db()
    assert draft.error_count == 0
    saved = draft.files["csods.bpmn"]
    assert f'<bpmn:userTask id="{NEW_TASK}" name="{NEW_NAME}">' in saved
    assert saved.count('value="no_disclosure_outcome.schema.json"') == 2  # noqa: PLR2004
    assert "Check the intelligence record for {{ subject.last_name }}." in saved

    # --- publishes v2 with a change note and asks to deploy it to Warwickshire ------------
    page.get_by_label("Change note: what changed and why").fill(
        "Adds a quality review of the intelligence record after no disclosure.")
    click(page, page.get_by_role("button", name="Publish as a new version"))
    v2 = ProcessVersion.objects.get(number=2)
    assert page.url.endswith(f"/studio/versions/{v2.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Sarah's Law version 2"
    page.wait_for_selector('#diagram[data-rendered="true"]')
    assert_accessible(page)
    # Compared with v1 (as the modeler saved it), the one task added is all that changed.
    click(page, page.get_by_role("link", name="Compare with v1"))
    page.wait_for_selector('#diagram[data-rendered="true"]')

    def listed(heading: str) -> list[str]:
        return page.get_by_role("region", name=re.compile(f"^{heading}")).locator(
            "li").all_inner_texts()

    assert listed("Added") == [f"User task '{NEW_NAME}'"]
    assert listed("Removed") == listed("Changed") == ["Nothing"]
    assert_accessible(page)
    page.go_back()
    page.get_by_label("Why deploy this version").fill("Quality review agreed by the board.")
    click(page, page.get_by_role("button", name="Request deployment"))
    assert "a second policy lead must approve it" in page.locator(".notices").inner_text()
    assert not page.get_by_role("button", name=re.compile("^Approve and deploy")).count()
    sign_out(page)

    # --- the second policy lead approves --------------------------------------------------
    sign_in(page, "war.policy2")
    nav(page, "Processes")
    assert_accessible(page)
    click(page, page.get_by_role("button", name="Approve and deploy Sarah's Law version 2"))
    assert "Sarah's Law version 2 deployed for Warwickshire." in page.locator(
        ".notices").inner_text()
    runs = dict(SchemeDeployment.objects.filter(scheme="csods")
                .values_list("force__code", "active_version_id"))
    assert runs == {"WAR": v2.pk, "HRT": warwickshire["v1"].pk}

    # The drift page: v2 is newest, but nobody designated a national base, so no force
    # drifts from one.
    click(page, page.get_by_role("link", name="How each force differs from the national base"))
    assert "National base: none approved yet." in page.locator("main").inner_text()
    hertfordshire = page.get_by_role("region", name="Hertfordshire")
    assert "Runs the national base unchanged." in hertfordshire.inner_text()
    assert_accessible(page)

    # --- new cases start on v2; the case opened before the change stays on v1 -------------
    # (the user read afresh, as a request would: the fixture's copy caches its force)
    contact = get_user_model().objects.get(username="war.contact")
    newer = case_start(user=contact, data=factories.sample("enquiry"))
    assert newer.version.number == 2  # noqa: PLR2004
    older.refresh_from_db()
    assert older.version.number == 1


def test_the_properties_panel_edits_timers_conditions_calls_and_documentation(
        page, warwickshire, console_errors):
    sign_in(page, "war.policy")
    nav(page, "Processes")
    click(page, page.get_by_role("button", name="Edit as a draft from Sarah's Law version 1"))
    wait_ready(page)
    properties = page.get_by_role("complementary", name="Properties")
    goto = properties.get_by_label("Go to an element")

    # Keyboard users pick elements from a list instead of clicking the diagram.
    goto.select_option("bt_initial_overdue")
    assert properties.get_by_label("Timer type").input_value() == "timeDuration"
    timer = properties.get_by_label("Timer expression")
    assert timer.input_value() == "limit_initial"
    timer.fill('"soon"')
    timer.press("Tab")

    goto.select_option("f_enquiry_closed")
    condition = properties.get_by_label("Condition expression")
    assert condition.input_value() == "case_closed"
    condition.fill("case_closed == True")
    condition.press("Tab")

    goto.select_option("ca_interview")
    called = properties.get_by_label("Called process (its id)")
    assert called.input_value() == "csods_interview"
    called.fill("csods_interviews")
    called.press("Tab")

    goto.select_option("ut_record_enquiry")
    docs = properties.get_by_label("Documentation")
    docs.fill("The contact handler records what the applicant says.")
    docs.press("Tab")
    name = properties.get_by_label("Name", exact=True)
    name.fill("Record the enquiry (101 or front counter)")
    name.press("Tab")

    save(page, "3 errors")
    problems = page.locator("#problems").inner_text()
    assert "calls 'csods_interviews', which is not a process in this scheme" in problems
    assert "gives 'soon', which is not a valid ISO 8601 length of time" in problems
    # the timer is the initial clock's breach timer: it must wait for the clock's limit
    assert "the timer 'bt_initial_overdue' must wait for 'limit_initial'" in problems
    # The timer's problem is reported on its event definition; the boundary event is marked.
    assert marked(page, "ca_interview")
    assert marked(page, "bt_initial_overdue")
    assert page.locator("#modeler .djs-element.dw-error").count() == 2  # noqa: PLR2004

    saved = ProcessDraft.objects.get().files["csods.bpmn"]
    assert '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"soon"</bpmn:timeDuration>' \
        in saved
    assert ('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">case_closed == True'
            '</bpmn:conditionExpression>') in saved
    assert 'calledElement="csods_interviews"' in saved
    assert '<bpmn:userTask id="ut_record_enquiry" name="Record the enquiry (101 or front ' \
        'counter)">' in saved
    assert "<bpmn:documentation>The contact handler records what the applicant says." \
        "</bpmn:documentation>" in saved
    assert spiff_tags(saved) == spiff_tags(warwickshire["v1"].files["csods.bpmn"])

    # Fixing both through the panel clears the marks.
    page.locator('#problems button[data-element="ca_interview"]').click()
    called.fill("csods_interview")
    called.press("Tab")
    goto.select_option("bt_initial_overdue")
    properties.get_by_label("Timer type").select_option("timeDuration")
    timer.fill("limit_initial")
    timer.press("Tab")
    save(page, "0 errors")
    assert page.locator("#modeler .djs-element.dw-error").count() == 0


def test_the_canvas_fills_the_screen_and_go_to_lists_named_elements_first(
        page, warwickshire, console_errors):
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "war.policy")
    nav(page, "Processes")
    click(page, page.get_by_role("button", name="Edit as a draft from Sarah's Law version 1"))
    wait_ready(page)

    # The canvas takes most of the laptop's screen (it was 752 x 640 in a 960 px column).
    box = page.locator("#modeler").bounding_box()
    assert box is not None
    assert box["width"] >= 0.65 * 1366 and box["height"] >= 0.75 * 768, box
    svg = page.locator("#modeler svg").first.bounding_box()
    assert svg is not None and svg["width"] >= box["width"] - 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    # "Go to an element": named elements first, in name order; flows without a name last,
    # described by what they connect, never "(no name)".
    options = page.locator("#prop-goto option").all_inner_texts()[1:]
    groups = page.locator("#prop-goto optgroup").evaluate_all(
        "gs => gs.map(g => [g.label, g.querySelectorAll('option').length])")
    labels = [label for label, _ in groups]  # (every element but flows has a name here)
    assert (labels[0], labels[-1]) == ("Named elements", "Flows without a name")
    named = options[:groups[0][1]]
    assert named[0].startswith("1. Enquiry and initial checks")
    names = [t.split(" – ")[0] for t in named]
    assert names == sorted(names, key=lambda t: [int(p) if p.isdigit() else p.lower()
                                                 for p in re.split(r"(\d+)", t)])
    assert "Decide on disclosure – User task" in named
    assert "Applicant withdraws – Boundary event on '1. Enquiry and initial checks'" in named
    flows = options[-groups[-1][1]:]
    assert "Sequence flow from 'Enquiry received' to 'Open the case'" in flows
    assert not any("(no name)" in o for o in options)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # noqa: PLR2004

    # The version page's diagram fills the laptop's screen too.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/studio/versions/{warwickshire['v1'].pk}/")
    page.wait_for_selector('#diagram[data-rendered="true"]')
    box = page.locator("#diagram").bounding_box()
    assert box is not None
    assert box["width"] >= 0.9 * 1366 and box["height"] >= 0.75 * 768, box
