"""The case page's diagram in a real browser: it shows the stage the case is in (the called
process holding the current step) at a readable size with the current step inside the drawing,
and a closed case's own process with the path taken; the bpmn.io mark never covers a shape."""

from __future__ import annotations

import pytest

from tests.browser.pages import CHROMIUM, sample, sign_in
from webapp.cases import services
from webapp.cases.models import Case

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
READABLE = 0.7  # the smallest scale at which a task's name can be read


def _users():
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return users.get(username="hrt.contact"), users.get(username="hrt.officer")


def _open_diagram(page, reference: str) -> dict:
    sign_in(page, "hrt.decision")
    page.goto(f"/cases/{reference}/")
    page.wait_for_selector('#diagram[data-rendered="true"]')
    page.locator("#diagram").scroll_into_view_if_needed()
    return page.locator("#diagram .djs-container").bounding_box()


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def _inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] and inner["y"] >= outer["y"]
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"])


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _clip(box: dict, frame: dict) -> dict | None:
    """The part of ``box`` drawn inside ``frame`` (the drawing clips what lies outside)."""
    x1, y1 = max(box["x"], frame["x"]), max(box["y"], frame["y"])
    x2 = min(box["x"] + box["width"], frame["x"] + frame["width"])
    y2 = min(box["y"] + box["height"], frame["y"] + frame["height"])
    return {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1} if x2 > x1 and y2 > y1 \
        else None


def _mark_clear_of_shapes(page, drawing: dict) -> None:
    """The bpmn.io mark is shown, and no shape drawn in the diagram lies under it."""
    mark = page.locator("#diagram .bjs-powered-by")
    assert mark.is_visible()
    logo = mark.bounding_box()
    shapes = page.locator("#diagram .djs-element.djs-shape")
    for i in range(shapes.count()):
        shape = shapes.nth(i)
        box = shape.bounding_box() if shape.is_visible() else None
        shown = _clip(box, drawing) if box else None
        assert shown is None or not _overlap(shown, logo), shape.get_attribute("data-element-id")


def test_an_open_case_shows_its_stage_with_the_current_step_in_view(page, hrt):
    # given: an enquiry past its initial checks, waiting for the verification interview
    contact, officer = _users()
    case = services.case_start(user=contact, data=sample("enquiry"))
    services.task_complete(user=officer, task_id=case.tasks.get(bpmn_id="ut_initial_checks").pk,
                           data=sample("initial_checks"))

    # when
    drawing = _open_diagram(page, case.reference)

    # then: the called process of the stage is shown, not the case's whole collaboration
    assert page.locator("#diagram").get_attribute("data-process") == "csods_interview"
    assert "2. Verification interview" in page.locator("#diagram-shown").inner_text()
    step = '#diagram [data-element-id="ut_verification_interview"]'
    assert "dw-current" in page.locator(step).get_attribute("class")
    box = _box(page, step)
    assert _inside(box, drawing)
    assert _inside(box, {"x": 0, "y": 0, **page.viewport_size})
    assert box["width"] >= 100 * READABLE  # a task is 100 units wide
    # centred when the stage is wider than the view; the whole stage shown when it fits
    centre = drawing["x"] + drawing["width"] / 2
    assert abs(box["x"] + box["width"] / 2 - centre) < drawing["width"] / 2
    # the watchers of the stage (time-limit timers, withdrawal messages) are not "current"
    currents = page.locator("#diagram .dw-current")
    ids = {currents.nth(i).get_attribute("data-element-id") for i in range(currents.count())}
    assert ids == {"ut_verification_interview"}
    _mark_clear_of_shapes(page, drawing)


def test_a_closed_case_shows_its_own_process_and_the_path_it_took(page, hrt):
    # given: an enquiry found out of scope, advised and closed
    contact, officer = _users()
    case = services.case_start(user=contact, data=sample("enquiry"))
    services.task_complete(user=officer, task_id=case.tasks.get(bpmn_id="ut_initial_checks").pk,
                           data={**sample("initial_checks"), "in_scope": False,
                                 "out_of_scope_reason": "other_scheme"})
    advice = case.tasks.get(bpmn_id="ut_out_of_scope_advice")
    services.task_complete(user=officer, task_id=advice.pk, data=sample("out_of_scope_advice"))
    assert Case.objects.get(pk=case.pk).status == "closed"

    # when
    drawing = _open_diagram(page, case.reference)

    # then: the case's own process, its first stage and the path to the end marked done
    assert page.locator("#diagram").get_attribute("data-process") == "csods"
    assert "whole case" in page.locator("#diagram-shown").inner_text()
    stage = '#diagram [data-element-id="ca_enquiry"]'
    assert "dw-completed" in page.locator(stage).get_attribute("class")
    assert page.locator("#diagram .dw-taken").count() >= 2
    assert page.locator("#diagram .dw-current").count() == 0
    box = _box(page, stage)
    assert _inside(box, drawing) and box["width"] >= 100 * READABLE
    # the other processes of the file are not stacked under it
    assert not page.locator('#diagram [data-element-id="ut_verification_interview"]').is_visible()
    _mark_clear_of_shapes(page, drawing)
