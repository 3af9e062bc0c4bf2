"""Linked cases: the same person in other cases of the force, of any scheme, so that a second
application about someone is seen at once.

Two party rows are the same person when they have the same name (words in any order) and date
of birth (``person_keys.person_key``), or the same phone number. A name alone links nothing.
Parties the scheme hides from the viewer's roles link nothing for them. Showing the links is a
combination of personal data (DPA 2018 s.62), logged each time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from webapp.audit.log import entry_for
from webapp.audit.models import AccessLog, Operation
from webapp.cases.access import visible_sql
from webapp.cases.case_words import case_href
from webapp.cases.models import Case, CaseParty
from webapp.cases.parties import seen_by_sql, shown_parties
from webapp.forces.models import Membership
from webapp.processes.registry import scheme_for

LINKS_SHOWN = 200  # party rows of other cases read for the page, newest first
MIN_LINK_PHONE = 9  # digits: a shorter number is too likely to be shared by chance


@dataclass(frozen=True)
class Linked:
    """Another case holding a person of this one; ``people`` only when the viewer may see it."""

    reference: str
    scheme: str
    how: str  # "Applicant here is the Subject there (same name and date of birth)"
    may_see: bool
    people: tuple[str, ...] = ()
    href: str = ""  # the other case's page


class _Other:
    """The other case of a matching party row: what the page shows of it, read with the row."""

    __slots__ = ("may_see", "parties", "reference", "scheme", "version_id")

    def __init__(self, reference: str, version_id: int, scheme: str,
                 parties: dict[str, list[str]], may_see: bool) -> None:
        self.reference, self.version_id, self.scheme = reference, version_id, scheme
        self.parties, self.may_see = parties, may_see


def _newest_rows(membership: Membership, case: Case,
                 keys: list[tuple[str, str]]) -> list[Any]:
    """(party, kind, person or phone, other case) of the newest LINKS_SHOWN party rows of other
    cases of the force holding one of ``keys`` ((kind, person key or phone number)) that the
    user's roles may see, with the other cases: one statement. Per key, one index-only read of
    at most LINKS_SHOWN rows (``caseparty_force_person`` / ``caseparty_force_phone``, newest
    first), merged newest first; then the other cases of those rows by primary key, each with
    whether the user may see it (``visible_sql``): the cost does not follow how many cases
    hold the key. Written without the ORM: built by it, the per-key reads, the hidden-party
    filters and need-to-know were more Python than PostgreSQL's work."""
    seen, seen_params = seen_by_sql(membership.roles, "p")
    branches, params = [], []
    for n, (kind, key) in enumerate(keys):
        column = "person" if kind == "name" else "search"
        branches.append(
            f"SELECT * FROM (SELECT p.party, p.case_id, p.opened_at, p.id, p.{column} AS key"  # noqa: S608 - names, values bound
            f" FROM {CaseParty._meta.db_table} p WHERE p.force_id = %s AND p.kind = %s"
            f" AND p.{column} = %s AND p.case_id <> %s AND {seen}"
            f" ORDER BY p.opened_at DESC, p.id LIMIT {LINKS_SHOWN}) k{n}")
        params += [case.force_id, kind, key, case.pk, *seen_params]
    may_see, may_see_params = visible_sql(membership, "c")
    sql = (f"SELECT r.party, r.key, c.id, c.reference, c.version_id, c.scheme, c.parties,"  # noqa: S608 - names, values bound
           f" {may_see} FROM ({' UNION ALL '.join(branches)}"
           f" ORDER BY opened_at DESC, id LIMIT {LINKS_SHOWN}) r"
           f" JOIN {Case._meta.db_table} c ON c.id = r.case_id"
           f" WHERE c.force_id = %s ORDER BY r.opened_at DESC, r.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*may_see_params, *params, case.force_id])  # in the text's order
        found = cursor.fetchall()
    kinds = {key: kind for kind, key in keys}  # a person key holds "|", a phone only digits
    others: dict[int, _Other] = {}
    rows = []
    for party, key, pk, reference, version_id, scheme, parties, visible in found:
        if pk not in others:  # one _Other per other case, shared by its rows
            others[pk] = _Other(reference, version_id, scheme,
                                json.loads(parties) if isinstance(parties, str) else parties,
                                bool(visible))
        rows.append((party, kinds[key], key, others[pk]))
    return rows


@dataclass(frozen=True)
class _Mine:
    """A party row of the case itself that may link it: a person's name, or a phone number."""

    party: str
    kind: str
    person: str
    search: str


def _matching_rows(membership: Membership, case: Case) -> list[tuple[_Mine, Any]]:
    """(a party row of ``case``, (party, kind, other case)) for the newest matching party
    rows of other cases of the force (``_newest_rows``): only the fields shown are read, not
    the other cases' workflow state."""
    seen, seen_params = seen_by_sql(membership.roles, "p")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.party, p.kind, p.person, p.search FROM {CaseParty._meta.db_table} p"  # noqa: S608 - names, values bound
            f" WHERE p.case_id = %s AND {seen} AND (p.person <> '' OR p.kind = 'phone')",
            [case.pk, *seen_params])
        mine = [_Mine(*row) for row in cursor.fetchall()]
    people = {row.person for row in mine if row.person}
    phones = {row.search for row in mine if row.kind == "phone"
              and len(row.search) >= MIN_LINK_PHONE}
    if not people and not phones:
        return []
    theirs = _newest_rows(membership, case, [("name", person) for person in sorted(people)]
                          + [("phone", phone) for phone in sorted(phones)])
    # the same person: both name rows with one person key; the same phone: both phone rows
    by_key: dict[tuple[str, str], list[_Mine]] = {}
    for row in mine:
        if row.kind in ("name", "phone"):
            key = row.person if row.kind == "name" else row.search
            by_key.setdefault((row.kind, key), []).append(row)
    pairs = []
    for party, kind, key, other in theirs:  # one _Other per other case, shared by its rows
        for row in by_key.get((kind, key), ()):
            pairs.append((row, (party, kind, other)))
    return pairs


def linked_cases(membership: Membership, case: Case) -> list[Linked]:
    """The other cases of the force holding a person of ``case``, newest first."""
    found: dict[str, tuple[_Other, dict[tuple[str, str], list[str]]]] = {}
    labels: dict[tuple[int, str], str] = {}

    def label(version_id: int, key: str) -> str:
        if (version_id, key) not in labels:
            party = scheme_for(version_id).party(key)
            labels[version_id, key] = party.label if party else key
        return labels[version_id, key]

    for row, (party, _, other) in _matching_rows(membership, case):
        why = "same name and date of birth" if row.kind == "name" else "same phone number"
        _, pairs = found.setdefault(other.reference, (other, {}))
        whys = pairs.setdefault((label(case.version_id, row.party),
                                 label(other.version_id, party)), [])
        if why not in whys:
            whys.append(why)
    if not found:
        return []
    href = case_href()
    linked = []
    for reference, (other, pairs) in found.items():
        how = "; ".join(f"{here} here is the {there} there ({', '.join(whys)})"
                        for (here, there), whys in pairs.items())
        names: tuple[str, ...] = ()
        scheme = scheme_for(other.version_id)  # its own version's words, as its page shows
        if other.may_see:
            shown = shown_parties(scheme, other.parties, membership.roles)
            names = tuple(f"{p.label}: {p.text}" for p in shown if p.names)
        linked.append(Linked(reference, scheme.short_title or scheme.title or other.scheme,
                             how, other.may_see, names, href(reference)))
    return linked


def combination_entries(user: AbstractBaseUser, case: Case, linked: list[Linked],
                        why: str) -> list[AccessLog]:
    """The access-log entry of showing the linked cases (a combination of personal data,
    s.62), none when there are none; written with the page's consultation."""
    if not linked:
        return []
    return [entry_for(actor=user, operation=Operation.COMBINE, object_type="linked cases",
                      object_id=case.reference, fields=[link.reference for link in linked],
                      justification=f"same person in other cases; {why}")]
