"""The case list's rows (made as HTML in Python): each cell as the template made it, every
value escaped."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from tests import factories
from tests.factories import page_html
from webapp.cases import services

pytestmark = pytest.mark.django_db

DVDS = factories.ROOT / "processes" / "dvds"


def test_a_row_shows_each_cell_with_names_escaped():
    hrt = factories.force(process=factories.version("dvds", DVDS))
    contact = factories.officer("contact", hrt, "contact_handler")
    dm = factories.officer("dm", hrt, "decision_maker")
    data = json.loads((DVDS / "forms" / "samples" / "application.json").read_text())
    data["subject"] = {**data["subject"], "first_name": "<b>Dean</b>",
                       "last_name": "O'Marsh & Sons"}
    case = services.case_start(user=contact, scheme="dvds", data=data)
    html = page_html(dm, "/cases/")
    row = re.search(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell" '
                    r'data-label="Reference">(.*?)</tr>', html, re.S).group(0)
    cells = dict(re.findall(r'data-label="(\w+)">(.*?)</td>', row, re.S))
    assert cells["Reference"] == f'<a class="govuk-link" href="/cases/{case.reference}/">' \
                                 f"{case.reference}</a>"
    assert cells["Scheme"] == "Clare&#x27;s Law"
    assert cells["Opened"] == timezone.localtime(case.opened_at).strftime("%-d %b %Y")
    assert cells["Status"] == "Open" and cells["Stage"] == case.stage
    assert "&lt;b&gt;Dean&lt;/b&gt; O&#x27;Marsh &amp; Sons<br>" in cells["People"]
    assert "<b>Dean" not in html
