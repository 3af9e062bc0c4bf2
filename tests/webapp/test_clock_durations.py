"""Clock durations beyond any real deadline are refused when asked for, never a 500 later."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from webapp.cases import services
from webapp.cases.models import TaskState
from webapp.clocks.arithmetic import add_limit, parse_duration
from webapp.clocks.models import ExtensionRequest

pytestmark = pytest.mark.django_db
HUGE = ["P99999999D", "P999999999999D", "P99999Y", "P1300M", "PT99999999999H",
        "P" + "9" * 4301 + "D"]


@pytest.mark.parametrize("duration", HUGE)
def test_a_duration_past_the_calendar_is_refused_as_a_value_error(duration):
    with pytest.raises(ValueError, match="longer than"):
        parse_duration(duration)


def test_the_longest_duration_allowed_still_gives_a_date():
    from datetime import UTC, datetime

    assert add_limit(datetime(2026, 1, 1, tzinfo=UTC), "P100Y").year == 2126  # noqa: PLR2004


@pytest.mark.parametrize("duration", ["P99999999D", "P99999Y"])
def test_an_extension_of_p99999999d_is_a_400_page_and_nothing_is_requested(duration):
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    handler = factories.officer("handler", hrt, "contact_handler")
    officer = factories.officer("officer", hrt, "case_officer")
    dm = factories.officer("dm", hrt, "decision_maker")
    case = services.case_start(user=handler, data=factories.sample("enquiry"))
    task = case.tasks.get(state=TaskState.READY, role="case_officer")
    services.task_claim(user=officer, task_id=task.pk)
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    response = client.post(f"/cases/{case.reference}/clocks/overall/extension/",
                           {"duration": duration, "reason": "Interpreter needed"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "longer than 100 years" in response.content.decode()
    assert not ExtensionRequest.objects.exists()
    reviewer = Client(raise_request_exception=False)
    reviewer.force_login(dm)
    assert reviewer.get(f"/cases/{case.reference}/").status_code == 200
