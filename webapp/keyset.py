"""Keyset pagination, newest first: a page of a list ordered by (a time, id) descending, read
by an index on those columns, with "Previous" and "Next" links that carry the first or last row
shown (``?before=`` / ``?after=``).

A page costs one statement of ``size + 1`` rows whatever the list's length: no COUNT, no
OFFSET (both read every row before the page). The extra row says whether there is a next page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

SEPARATOR = "_"
SECOND_PAGE = 2


def _cursor(row: Any, key: str) -> str:
    return f"{getattr(row, key).isoformat()}{SEPARATOR}{row.pk}"


def _parse(text: str) -> tuple[datetime, int] | None:
    """The (time, id) of a cursor from a link; None when it is not one (a link cut short, or
    typed by hand): the list then starts from its first page."""
    moment, _, pk = text[:80].rpartition(SEPARATOR)
    try:
        when = parse_datetime(moment)
        number = int(pk)
    except ValueError:
        return None
    return (when, number) if when is not None and when.tzinfo is not None else None


@dataclass
class KeysetPage:
    """The rows of one page and the query strings of the pages around it."""

    rows: list[Any]
    number: int
    has_previous: bool
    has_next: bool
    first_cursor: str = ""
    last_cursor: str = ""
    keep: dict[str, str] = field(default_factory=dict)  # the filters the links carry

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def is_whole(self) -> bool:
        """Every matching row is on this page (so ``len(rows)`` is their number)."""
        return not self.has_other_pages

    def _link(self, direction: str, cursor: str, number: int) -> str:
        return "?" + urlencode({**self.keep, direction: cursor, "page": number})

    @property
    def previous_link(self) -> str:
        if self.number <= SECOND_PAGE:  # the first page is the list without a cursor
            return "?" + urlencode(self.keep)
        return self._link("before", self.first_cursor, self.number - 1)

    @property
    def next_link(self) -> str:
        return self._link("after", self.last_cursor, self.number + 1)


def keyset_page(rows: QuerySet[Any], get: Any, *, key: str, size: int,
                keep: dict[str, str] | None = None) -> KeysetPage:
    """One page of ``rows`` (any filters applied, no ordering needed) newest first by
    (``key``, id), positioned by ``?after=`` / ``?before=`` in ``get``. ``keep`` is the query
    string of the filters, carried by the page links."""
    after, before = _parse(get.get("after", "")), _parse(get.get("before", ""))
    try:
        number = max(1, min(int(get.get("page", "1")[:9]), 10**8))
    except ValueError:
        number = 1
    newest_first = rows.order_by(f"-{key}", "-pk")
    found: list[Any] = []
    if before is not None:  # the page before (newer rows), read oldest first up to it
        when, pk = before
        found = list(rows.filter(Q(**{f"{key}__gt": when}) | Q(**{key: when, "pk__gt": pk}),
                                 **{f"{key}__gte": when})
                     .order_by(key, "pk")[: size + 1])
    if len(found) > size:  # newer rows remain above this page
        has_previous, has_next = True, True
        shown = found[:size][::-1]
    else:  # the first page (also when going back reaches it), or the page after a row
        after = after if before is None else None
        if after is not None:
            when, pk = after
            newest_first = newest_first.filter(
                Q(**{f"{key}__lt": when}) | Q(**{key: when, "pk__lt": pk}),
                **{f"{key}__lte": when})
        found = list(newest_first[: size + 1])
        has_previous, has_next = after is not None, len(found) > size
        shown = found[:size]
    if not has_previous:
        number = 1
    elif number == 1:
        number = SECOND_PAGE  # a cursor without its page number: at least the second page
    if not shown:
        has_next = False
    return KeysetPage(rows=shown, number=number, has_previous=has_previous, has_next=has_next,
                      first_cursor=_cursor(shown[0], key) if shown else "",
                      last_cursor=_cursor(shown[-1], key) if shown else "", keep=keep or {})
