"""The words of a force's party names (``NameWord``), kept with the party rows they come from.

Person search compares a misspelt word with the force's name words ('Devlim' with 'devlin'):
reading them here costs the force's vocabulary (the words sharing a first letter), where reading
them from ``CaseParty`` cost every name row of the force. Each word counts the cases holding
it, so a case's words are added when its party rows are written, taken out when they are
rewritten without them, and a word goes with the last case holding it, erasure included.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import F

from webapp.cases.models import CaseParty, NameWord

NAME_KINDS = ("name", "aliases")


def words_of(rows: Iterable[CaseParty]) -> set[str]:
    """The distinct words of the name and alias rows among ``rows``."""
    return {w for row in rows if row.kind in NAME_KINDS for w in row.search.split()}


def case_words(case_id: int) -> set[str]:
    """The words of a case's stored name and alias rows."""
    names = CaseParty.objects.filter(case_id=case_id, kind__in=NAME_KINDS).values_list(
        "search", flat=True)
    return {w for name in names for w in name.split()}


def words_move(*, force_id: int, before: set[str], after: set[str]) -> None:
    """Count a case's words ``after`` instead of ``before`` (both empty-safe)."""
    added, removed = sorted(after - before), sorted(before - after)
    if added:
        table = connection.ops.quote_name(NameWord._meta.db_table)
        # one statement, in the words' order (two cases adding the same words lock them alike)
        values = ", ".join(["(%s, %s, 1)"] * len(added))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (force_id, word, cases) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (force_id, word) DO UPDATE SET cases = {table}.cases + 1",
                [v for word in added for v in (force_id, word)])
    if removed:
        held = NameWord.objects.filter(force_id=force_id, word__in=removed)
        held.filter(cases__lte=1).delete()  # this case was the last to hold them
        held.update(cases=F("cases") - 1)


def words_release(case_id: int, force_id: int) -> None:
    """Take an erased case's words out of its force's vocabulary (before its rows are
    blanked): a word no other case holds is deleted."""
    words_move(force_id=force_id, before=case_words(case_id), after=set())
