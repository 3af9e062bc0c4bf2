"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against pytest-django's
live server. Every test here is skipped when Chromium or Playwright is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, VIEWPORT


@pytest.fixture(scope="session")
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in this thread, which trips Django's
    async-safety guard on every ORM call the test makes (setup, assertions, flush). The ORM use
    here is plain synchronous code, so switch the guard off. Session-wide since the browser is:
    the loop runs from the first browser test to the end of the run (of this xdist worker), and
    no test of the suite runs async code of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser(_orm_beside_playwright: None) -> Iterator[Any]:
    """One Chromium for the whole run (per xdist worker), started by the first test that needs
    it: launching it took a second or two per test module. Each test still gets a fresh context
    (no cookies, no storage) from ``page``."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    # An assertion waits as long as an action may (10 s), not Playwright's 5 s: on a CI machine
    # at load 8 a save that answers in a second here took more than 5 s to show its status.
    sync_api.expect.set_options(timeout=10_000)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the live server; fails the test on any dialog
    (alert/confirm/prompt) and on uncaught page errors, which an injected script would cause."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-GB",
                                  timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.errors = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()
    assert not tab.dialogs, f"unexpected dialogs: {tab.dialogs}"
    assert not tab.errors, f"JavaScript errors on the pages: {tab.errors}"


@pytest.fixture
def hrt(_orm_beside_playwright: None, transactional_db: None) -> Any:
    """Hertfordshire on the CSODS process, with one officer per working role and an auditor."""
    force = factories.force(process=factories.version("csods", factories.CSODS))
    factories.officer("hrt.contact", force, "contact_handler")
    factories.officer("hrt.officer", force, "case_officer")
    factories.officer("hrt.decision", force, "decision_maker")
    factories.officer("hrt.auditor", force, "auditor")
    return force
