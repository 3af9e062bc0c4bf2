"""The case list's rows (rendered by the Jinja2 template row_templates/case_rows.html): each
cell as the page showed it, every value escaped by autoescape (``'`` as ``&#39;``)."""

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
    assert cells["Scheme"] == "Clare&#39;s Law"
    assert cells["Opened"] == timezone.localtime(case.opened_at).strftime("%-d %b %Y")
    assert cells["Status"] == "Open" and cells["Stage"] == case.stage
    assert "&lt;b&gt;Dean&lt;/b&gt; O&#39;Marsh &amp; Sons<br>" in cells["People"]
    assert "<b>Dean" not in html


def test_a_name_holding_a_script_is_shown_as_text():
    hrt = factories.force(process=factories.version("dvds", DVDS))
    contact = factories.officer("contact", hrt, "contact_handler")
    dm = factories.officer("dm", hrt, "decision_maker")
    data = json.loads((DVDS / "forms" / "samples" / "application.json").read_text())
    data["subject"] = {**data["subject"], "first_name": "<script>x</script>"}
    services.case_start(user=contact, scheme="dvds", data=data)
    html = page_html(dm, "/cases/")
    assert "Subject: &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
