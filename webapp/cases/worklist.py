"""What a worklist page (My tasks, Team queue) shows: its filters and sort, read from the query
string and written back into every link (pages, sort headers, saved views).

Every sort is one a partial index of ``HumanTask`` serves (``task_queue_risk``,
``task_queue_role_risk``, ``task_queue_role_due``, ``task_queue_role_received``,
``task_mine_risk``, ``task_mine_received``), so a page stops after
its rows; the filters narrow an index range (risk, due) or are checked on the rows the scan
reads (scheme, stage). Pages are bounded: ``MAX_PAGES`` of ``PAGE`` rows, no count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from webapp.cases.models import HumanTask

PAGE = 50
MAX_PAGES = 20  # an offset is read through: 20 pages of 50 at most, then "narrow the filters"

# sort key -> (the words of the choice, the ORDER BY); "risk" is the default: cases at
# immediate risk first, then soonest due.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "risk": ("At risk first, then soonest due", ("-at_risk", "due_at", "id")),
    "due": ("Soonest due first", ("due_at", "id")),
    "-due": ("Latest due first", ("-due_at", "-id")),
    "received": ("Waiting longest first", ("created_at", "id")),
    "-received": ("Newest first", ("-created_at", "-id")),
}
DEFAULT_SORT = "risk"

_NULLS: dict[str, Any] = {"due_at": F("due_at").asc(nulls_last=True),
                         "-due_at": F("due_at").desc(nulls_first=True)}

DUE_WORDS = {"overdue": "Overdue", "today": "Due today", "week": "Due in the next 7 days"}
RISK_WORDS = {"yes": "Cases at immediate risk only"}


@dataclass(frozen=True)
class WorkQuery:
    """The filters and sort of a worklist page; empty strings mean 'any'."""

    sort: str = DEFAULT_SORT
    scheme: str = ""
    stage: str = ""
    due: str = ""
    risk: str = ""
    assignee: str = ""  # team queue, supervisors: a colleague's user id (their tasks)
    page: int = 1

    @classmethod
    def from_get(cls, get: Any, *, schemes: Any = (), stages: Any = (),
                 assignees: Any = ()) -> WorkQuery:
        """Only values the page offers are kept: anything else is 'any' (a hand-edited or
        stale link shows the whole list rather than an error)."""
        def chosen(name: str, allowed: Any) -> str:
            value = str(get.get(name, ""))[:100]
            return value if value in allowed else ""

        try:
            page = min(max(int(get.get("page", "1")), 1), MAX_PAGES)
        except ValueError:
            page = 1
        return cls(sort=chosen("sort", SORTS) or DEFAULT_SORT, scheme=chosen("scheme", schemes),
                   stage=chosen("stage", stages), due=chosen("due", DUE_WORDS),
                   risk=chosen("risk", RISK_WORDS), assignee=chosen("assignee", assignees),
                   page=page)

    @property
    def order(self) -> tuple[str, ...]:
        """The ORDER BY as PostgreSQL's indexes hold it (no due time: last when soonest due
        comes first, first when latest due does)."""
        return SORTS[self.sort][1]

    @property
    def order_expressions(self) -> tuple[Any, ...]:
        """``order`` with the place of a missing due time said, so every database agrees."""
        return tuple(_NULLS.get(term, term) for term in self.order)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string's values (the default sort and the first page left out)."""
        query = replace(self, **changes)
        values = {"sort": "" if query.sort == DEFAULT_SORT else query.sort,
                  "scheme": query.scheme, "stage": query.stage, "due": query.due,
                  "risk": query.risk, "assignee": query.assignee,
                  "page": "" if query.page == 1 else str(query.page)}
        return {k: v for k, v in values.items() if v}

    def link(self, **changes: Any) -> str:
        """``?…`` for a link to this list with ``changes`` (a new sort or filter: page 1)."""
        encoded = urlencode(self.params(**changes))
        return f"?{encoded}" if encoded else "?"

    def filtered(self) -> bool:
        return any((self.scheme, self.stage, self.due, self.risk, self.assignee))

    def apply(self, qs: QuerySet[HumanTask], now: datetime) -> QuerySet[HumanTask]:
        """Narrow task rows by the filters (the sort is the caller's: it decides the index)."""
        if self.scheme:
            qs = qs.filter(case__scheme=self.scheme)
        if self.stage:  # a task without its own stage shows its case's
            qs = qs.filter(Q(stage=self.stage) | Q(stage="", case__stage=self.stage))
        if self.risk:
            qs = qs.filter(at_risk=True)
        if self.due == "overdue":
            qs = qs.filter(due_at__lt=now)
        elif self.due:
            qs = qs.filter(due_at__gte=now, due_at__lt=_due_end(self.due, now))
        return qs

    def words(self, *, schemes: Any, assignees: Any) -> list[str]:
        """The filters in effect, as people read them."""
        said = []
        if self.scheme:
            said.append(f"Scheme: {schemes.get(self.scheme, self.scheme)}")
        if self.stage:
            said.append(f"Stage: {self.stage}")
        if self.due:
            said.append(DUE_WORDS[self.due])
        if self.risk:
            said.append(RISK_WORDS[self.risk])
        if self.assignee:
            said.append(f"Assigned to {assignees.get(self.assignee, 'a colleague')}")
        return said


def _due_end(due: str, now: datetime) -> datetime:
    """The end of 'today' (local midnight) or of the next 7 days."""
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return midnight if due == "today" else now + timedelta(days=7)


def sort_headers(query: WorkQuery) -> dict[str, Any]:
    """The sortable columns' headers (Due, Received): each one's aria-sort and the link that
    sorts by it, the other way round when it is the sort in effect."""
    headers: dict[str, Any] = {}
    for column in ("due", "received"):
        state = {column: "ascending", f"-{column}": "descending"}.get(query.sort, "none")
        following = f"-{column}" if query.sort == column else column
        headers.update({f"{column}_sort": state,
                        f"{column}_link": query.link(sort=following, page=1),
                        f"{column}_next": SORTS[following][0].lower()})
    return headers
