"""``{% options %}``: a filter's options as the template loop made them."""

from __future__ import annotations

from django.template import engines

from webapp.cases.models import CaseStatus


def _render(source: str, **context) -> str:
    return engines["django"].from_string("{% load select_options %}" + source).render(context)


def test_the_chosen_option_is_selected_and_every_value_and_label_escaped():
    html = _render("{% options words chosen %}",
                   words={"a&b": "A <b>", "c": "C"}, chosen="a&b")
    assert html == ('<option value="a&amp;b" selected>A &lt;b&gt;</option>'
                    '<option value="c">C</option>')


def test_pairs_and_plain_values_are_offered_as_the_loops_offered_them():
    assert _render("{% options statuses status %}", statuses=CaseStatus.choices,
                   status=CaseStatus.CLOSED) == "".join(
        f'<option value="{value}"{" selected" if value == CaseStatus.CLOSED else ""}>'
        f"{label}</option>" for value, label in CaseStatus.choices)
    assert _render("{% options stages stage %}", stages=["Intake", "Decision"],
                   stage="") == ('<option value="Intake">Intake</option>'
                                 '<option value="Decision">Decision</option>')
