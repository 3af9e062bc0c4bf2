"""Words, not codes: every page a role reaches by links from its landing page, plus the case,
task and clock views of open and finished demo cases of every scheme, reads in words. The
visible text (tags, scripts and styles stripped; values of form controls, in attributes such
as input values or inside a textarea being edited, and URLs are not visible text) must hold
no snake_case id, CamelCase code, ISO 8601 duration or ISO date."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest
from django.test import Client

from webapp.cases import demo
from webapp.cases.models import Case, CaseStatus, HumanTask
from webapp.forces.models import Membership

pytestmark = pytest.mark.django_db

CODES = {
    "snake_case id": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "CamelCase code": re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b"),
    "ISO 8601 duration": re.compile(r"\bP(?:\d+[YMWD])+(?:T(?:\d+[HMS])+)?\b|\bPT(?:\d+[HMS])+\b"),
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "blank value": re.compile(r"\w:\s+[.,;](?=\s|$)"),  # "Applicant: . Subject: ."
    "diagram jargon": re.compile(r"\blanes?\b"),  # "Church Lane" is an address
    "version code": re.compile(r"\b[a-z]+ v\d+\b"),  # "csods v1"
}
# Words that look like codes but are what people read. Keep this short: each entry says why.
ALLOWED: set[str] = set()
_HIDDEN = re.compile(r"<(script|style|template|textarea)\b.*?</\1>|<!--.*?-->", re.S | re.I)
# A scheme's file names (forms, diagrams, decision tables, letter templates) are what the
# studio lists and edits: they are names of files, not codes standing in for words.
_FILE_NAME = re.compile(r"[\w./-]+\.(?:bpmn|dmn|json|html)\b")
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r'href="([^"]+)"')
# Links that change state, download a file or leave the pages (not pages to read).
_SKIP = re.compile(r"^/(logout|api)/|\.(csv|bpmn|json|js|css|svg|png|ico)$|/files/")
PAGES_PER_SHAPE = 6  # case and task pages are many; a few of each kind from links is enough


def visible_text(page: str) -> str:
    return _FILE_NAME.sub(" ", html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page))))


def codes_in(text: str) -> list[str]:
    found = []
    for kind, pattern in CODES.items():
        found += [f"{kind}: {m.group(0)!r}" for m in pattern.finditer(text)
                  if m.group(0) not in ALLOWED]
    return found


def _shape(path: str) -> str:
    return re.sub(r"/[A-Z]{2,4}-\d{4}-\d+|/\d+", "/<id>", path)


def _links(page: str) -> list[str]:
    found = []
    for href in _HREF.findall(page):
        url = urldefrag(html.unescape(href))[0]
        parsed = urlparse(url)
        if parsed.netloc or not parsed.path.startswith("/") or _SKIP.search(parsed.path):
            continue
        found.append(url)
    return found


def _crawl(client: Client, start: list[str]) -> tuple[dict[str, list[str]], int]:
    """Visit ``start`` and every page linked from them; the codes found on each page, and how
    many pages were read."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(start)
    problems: dict[str, list[str]] = {}
    read = 0
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        read += 1
        found = codes_in(visible_text(page))
        if found:
            problems[url] = sorted(set(found))
        for link in _links(page):
            shape = _shape(urlparse(link).path)
            if link in seen or (shape != urlparse(link).path
                                and shapes.get(shape, 0) >= PAGES_PER_SHAPE):
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(link)
    return problems, read


def _sample_cases(force_code: str) -> list[Case]:
    """An open and a finished (closed or withdrawn) case of every scheme of the force."""
    chosen = []
    cases = Case.objects.filter(force__code=force_code).select_related("version")
    for scheme in sorted({c.version.process_id for c in cases}):
        mine = [c for c in cases if c.version.process_id == scheme]
        for finished in (False, True):
            match = next((c for c in mine if (c.status != CaseStatus.OPEN) == finished), None)
            if match is not None:
                chosen.append(match)
    return chosen


def _starts(force_code: str) -> list[str]:
    cases = _sample_cases(force_code)
    assert len(cases) >= 4, "the demo data has an open and a finished case of both schemes"
    starts = ["/", "/queue/", "/cases/", "/dashboard/", "/audit/", "/audit/retention/",
              "/studio/", "/enquiries/new/"]
    for case in cases:
        starts.append(case.get_absolute_url())
        starts += [f"/tasks/{pk}/" for pk in
                   HumanTask.objects.filter(case=case).values_list("pk", flat=True)]
    return starts


def test_every_page_as_every_role_of_every_force_reads_in_words():
    """Each demo force's own cases and settings (its scheme profile, decision route and
    overlay differ), read by one officer of each role (a second person of a role sees the
    same pages)."""
    demo.seed()
    problems: dict[str, dict[str, list[str]]] = {}
    for code, name in demo.FORCES:
        starts = _starts(code)
        memberships = list(Membership.objects.filter(force__code=code).select_related("user")
                           .order_by("user__username"))
        by_roles = {tuple(m.roles): m for m in reversed(memberships)}  # the first login
        assert len({r for m in memberships for r in m.roles}) == 7, f"every role of {name}"
        for membership in by_roles.values():
            client = Client()
            client.force_login(membership.user)
            found_on, read = _crawl(client, starts)
            assert read >= 3, f"{membership.user} read only {read} pages"
            for url, found in found_on.items():
                problems.setdefault(url, {})[f"{code} {','.join(membership.roles)}"] = found
    report = "\n".join(f"{url} ({', '.join(by_role)}): {'; '.join(next(iter(by_role.values())))}"
                       for url, by_role in sorted(problems.items()))
    assert not problems, f"codes in the visible text:\n{report}"


def test_the_check_finds_codes_and_passes_words():
    text = visible_text('<p>Risk: <b>child_sexual_offence</b> <input value="P7D"></p>'
                        "<script>var a_b = 1;</script>"
                        "<p>DisclosureChildSexualOffence, PT24H, P45D, 2026-12-06</p>")
    assert [f.split(":")[0] for f in codes_in(text)] == [
        "snake_case id", "CamelCase code", "ISO 8601 duration", "ISO 8601 duration", "ISO date"]
    assert codes_in(visible_text("<p>6 December 2026: 24 hours, 45 days, HRT-2026-0001</p>")) \
        == []
