"""A case's parties as its version's scheme declares them: names for display (``Case.parties``),
rows for search (``CaseParty``), and who may see them.

A party whose ``hidden_from`` holds every role of a user is never shown to that user, nor found
by a search of theirs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from engine.scheme import Scheme
from webapp import row_sql
from webapp.cases.models import Case, CaseParty


def hidden_from(scheme: Scheme, key: str, roles: Collection[str]) -> bool:
    """Whether the scheme hides the party ``key`` from a user holding ``roles``."""
    party = scheme.party(key)
    return bool(party and party.hidden_from and set(roles) <= set(party.hidden_from))


def hidden_fields(scheme: Scheme, roles: Collection[str]) -> set[str]:
    """The data fields of the parties the scheme hides from a user holding ``roles``."""
    return {p.field for p in scheme.parties if hidden_from(scheme, p.key, roles)}


@dataclass(frozen=True)
class Shown:
    """One declared party as a user sees it: its label, names, and whether they are hidden."""

    key: str
    label: str
    names: tuple[str, ...]
    hidden: bool

    @property
    def text(self) -> str:
        return ", ".join(self.names)


def shown_parties(scheme: Scheme, names: Mapping[str, list[str]],
                  roles: Collection[str]) -> list[Shown]:
    """Every declared party, in declaration order, with its names unless hidden from ``roles``."""
    rows = []
    for party in scheme.parties:
        hidden = hidden_from(scheme, party.key, roles)
        rows.append(Shown(party.key, party.label,
                          () if hidden else tuple(names.get(party.key, ())), hidden))
    return rows


def visible_names(scheme: Scheme, names: Mapping[str, list[str]],
                  roles: Collection[str]) -> dict[str, list[str]]:
    """Party key -> names, leaving out parties hidden from ``roles`` (for the API)."""
    return {key: list(value) for key, value in names.items()
            if not hidden_from(scheme, key, roles)}


def _hidden_text(roles: Collection[str]) -> str:
    return "".join(f" {role} " for role in sorted(roles))


def party_rows(case: Case, scheme: Scheme) -> list[CaseParty]:
    """The search rows of a case's party names (lower-cased, with the roles they are hidden
    from)."""
    rows = []
    for key, names in case.parties.items():
        party = scheme.party(key)
        hidden = _hidden_text(party.hidden_from) if party else ""
        rows.extend(CaseParty(case=case, party=key,
                              search=name.lower()[:200], hidden_from=hidden)
                    for name in names)
    return rows


def rewrite_party_rows(case: Case, scheme: Scheme) -> None:
    CaseParty.objects.filter(case=case).delete()
    row_sql.insert_many(party_rows(case, scheme))


def name_match(text: str, roles: Collection[str]) -> Exists:
    """Cases with a party name containing ``text`` that a user holding ``roles`` may see."""
    rows = CaseParty.objects.filter(case=OuterRef("pk"), search__contains=text.lower())
    visible = Q(hidden_from="")
    for role in roles:  # hidden only when every role of the user is in hidden_from
        visible |= ~Q(hidden_from__contains=f" {role} ")
    return Exists(rows.filter(visible))
