"""What a user does and sees in the browser: sign in, fill generated forms, read the summary,
and check a page with axe-core."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tests import factories

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No internet here: without the networking flags Chromium stalls on refused connections.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
AXE_JS = factories.ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SAMPLES = factories.CSODS / "forms" / "samples"
SCREENSHOTS = factories.ROOT / "docs" / "screenshots"


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of the valid sample answers for one CSODS form."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


# --- signing in and moving around ---------------------------------------------------------


def click(page: Any, target: Any) -> None:
    """Click something that loads a new page, and wait until that page has loaded."""
    with page.expect_navigation():
        target.click()


def sign_in(page: Any, username: str, password: str = factories.PASSWORD) -> None:
    """Password, then the code the person's authenticator app shows now (real TOTP from the
    device's secret; an app is set up for them first if they have none)."""
    from django.contrib.auth import get_user_model

    device = factories.authenticator(get_user_model().objects.get(username=username))
    enter_password(page, username, password)
    assert "/login/code/" in page.url, page.url
    page.get_by_label("Code").fill(factories.totp_code(device))
    click(page, page.get_by_role("button", name="Continue"))
    assert page.url.endswith("/"), page.url
    assert page.locator(".header__user").inner_text() == username


def enter_password(page: Any, username: str, password: str = factories.PASSWORD) -> None:
    """The first step of signing in: the sign-in page's username and password."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    click(page, page.get_by_role("button", name="Sign in"))


def wait_until_drawn(page: Any) -> None:
    """After a page has loaded: wait until each diagram on it is drawn. The page's scripts
    fetch nothing on load but a diagram's XML (every ``[data-src]`` element); diagram.js and
    heatmap.js mark their container ``data-rendered``, studio.js its root ``data-ready``, once
    it is on screen or said to be unavailable. Unlike Playwright's "networkidle", which only
    saw the fetch end, this sees the drawing done, and costs no fixed half-second of quiet."""
    page.wait_for_function("() => [...document.querySelectorAll('[data-src]')]"
                           ".every(e => e.dataset.rendered || e.dataset.ready)")


def sign_out(page: Any) -> None:
    click(page, page.get_by_role("button", name="Sign out"))
    assert page.url.endswith("/login/"), page.url


def nav(page: Any, name: str) -> None:
    click(page, page.get_by_role("navigation", name="Main").get_by_role("link", name=name))


def claim_from_queue(page: Any, task_name: str) -> None:
    """Team queue → the Claim button on the task's row → the task page. A task the case's owner
    has already received (the next task in their lane) is opened from My tasks instead."""
    nav(page, "Team queue")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=task_name, exact=True))
    if row.count() == 0:
        nav(page, "My tasks")
        click(page, page.get_by_role("link", name=task_name, exact=True).first)
        assert page.get_by_role("heading", level=1).inner_text() == task_name
        return
    # The button's name says what it claims: "Claim <task> on <reference>" (visually hidden).
    click(page, row.get_by_role("button", name=re.compile(rf"^Claim {re.escape(task_name)} on ")))
    assert page.get_by_role("heading", level=1).inner_text() == task_name
    assert f"You have claimed '{task_name}'" in page.locator(".notices").inner_text()


def summary_value(page: Any, term: str) -> str:
    """The <dd> for ``term`` in the case page's header summary list."""
    row = page.locator("dl.summary-list--header > div").filter(
        has=page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")))
    return row.locator("dd").inner_text().strip()


# --- generated forms ------------------------------------------------------------------------


def task_form(page: Any) -> Any:
    """The task's (or enquiry's) own form, not the sign-out, release or assign forms."""
    return page.locator("form:has(button[name='action'][value='complete'])")


def submit(page: Any, button: str = "Submit") -> None:
    click(page, task_form(page).get_by_role("button", name=button, exact=True))


def _exists(form: Any, selector: str) -> bool:
    return form.locator(selector).count() > 0


def _grow_repeats(page: Any, form: Any, data: Any, name: str = "") -> None:
    """Press "Add another ..." until every repeating group has as many items as ``data``."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            _grow_repeats(page, form, value, f"{name}.{key}" if name else key)
        return
    if not isinstance(data, list) or not data:
        return
    if _exists(form, f'input[type="checkbox"][name="{name}"]'):
        return  # one checkbox per choice, no items
    objects = isinstance(data[0], Mapping)
    for index in range(len(data)):
        item = f'[name="{name}.{index}._item"]' if objects else f'[name="{name}.{index}"]'
        if not _exists(form, item):
            click(page, form.locator(f'button[name="_add"][value="{name}"]'))
            assert _exists(form, item), f"'Add another' did not add {name}.{index}"
        if objects:
            _grow_repeats(page, form, data[index], f"{name}.{index}")


def _inputs(data: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """(input name, value) pairs in the renderer's dotted naming; lists of scalars stay whole
    (a set of checkboxes) unless they turn out to be a list of text inputs."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _inputs(value, f"{name}.{key}" if name else key)
    elif isinstance(data, list) and data and isinstance(data[0], Mapping):
        for index, item in enumerate(data):
            yield from _inputs(item, f"{name}.{index}")
    else:
        yield name, data


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _set(form: Any, name: str, value: Any) -> None:
    controls = form.locator(f'[name="{name}"]')
    if controls.count() == 0 and _exists(form, f'[name="{name}.day"]'):  # day, month, year
        year, month, day = str(value).split("-")
        for part, text in (("day", str(int(day))), ("month", str(int(month))), ("year", year)):
            form.locator(f'[name="{name}.{part}"]').fill(text)
        return
    if controls.count() == 0 and isinstance(value, list):  # a list of text inputs
        for index, item in enumerate(value):
            _set(form, f"{name}.{index}", item)
        return
    assert controls.count(), f"the form has no input named {name!r}"
    kind = controls.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind == "input:radio":
        controls.and_(form.locator(f'[value="{_text(value)}"]')).check()
    elif kind == "input:checkbox":
        for item in value if isinstance(value, list) else [value]:
            controls.and_(form.locator(f'[value="{_text(item)}"]')).check()
    elif kind.startswith("select"):
        controls.select_option(_text(value))
    else:
        controls.fill(_text(value))


def fill_form(page: Any, data: Mapping[str, Any]) -> None:
    """Fill the page's generated form from ``data`` by input name, as a user would type it."""
    form = task_form(page)
    _grow_repeats(page, form, data)
    pairs = list(_inputs(data))
    # Answers first: a follow-up question shows only once the answer that asks it is chosen.
    for name, value in sorted(pairs, key=lambda pair: not _is_choice(form, pair[0])):
        _set(form, name, value)


def _is_choice(form: Any, name: str) -> bool:
    return _exists(form, f'input[type="radio"][name="{name}"]')


# --- accessibility --------------------------------------------------------------------------


@cache
def _axe_source() -> str:
    return AXE_JS.read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the pages' CSP forbids inline <script>, and
        # add_script_tag(content=...) is exactly that.
        page.evaluate(_axe_source())
    # Only violations are read: axe then keeps one node of each pass and inapplicable rule
    # instead of them all (its documented performance option), for the same violations.
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("(o) => axe.run(document, o).then(r => r.violations)", options)


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    lines = [f"{v['id']} ({v['impact']}): {v['help']} – "
             + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
             + (f" (+{len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else "")  # noqa: PLR2004
             for v in violations]
    assert not violations, f"axe: {page.url}\n" + "\n".join(lines)


def screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    """A picture of the page for the README: written only with SCREENSHOTS=1 in the
    environment, so that ordinary test runs leave docs/screenshots/ alone."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def audit_case(page: Any, reference: str, *operations: str) -> str:
    """As the force's auditor: land on the access log, filter it to the case, and check that
    each of ``operations`` (as the log names them) was logged for it; return the rows' text."""
    sign_in(page, "hrt.auditor")
    assert page.get_by_role("heading", level=1).inner_text() == "Access log"  # their start page
    page.get_by_label("Case reference").fill(reference)
    click(page, page.get_by_role("button", name="Filter"))
    assert_accessible(page)
    rows = page.locator("tbody").inner_text()
    for operation in operations:
        assert operation in rows, f"{operation!r} not logged for {reference}:\n{rows}"
    sign_out(page)
    return rows


PHONE = 390  # the narrowest width every page must fit without scrolling sideways


def layout_problems(page: Any, name: str, width: int) -> list[str]:
    """What is wrong with the page shown now: axe-core violations (A/AA), and on the phone
    width, scrolling sideways; each in words naming the page, the width and where."""
    found = [f"{name} at {width} px: axe {v['id']} ({v['impact']}): {v['help']} – "
             + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
             for v in axe_violations(page)]
    if width == PHONE:
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            found.append(f"{name} at {width} px: scrolls sideways ({scroll} px in {inner} px)")
    return found
