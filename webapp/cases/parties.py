"""A case's parties as its version's scheme declares them: names for display (``Case.parties``),
rows for search and linking (``CaseParty``: names, aliases, dates of birth, postcodes, phone
numbers, as ``person_keys`` writes them), and who may see them.

A party whose ``hidden_from`` holds every role of a user is never shown to that user, nor found
by a search of theirs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from engine.scheme import Scheme
from webapp import row_sql
from webapp.cases import name_words
from webapp.cases import person_keys as keys
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


def _person_rows(case: Case, key: str, hidden: str, person: Mapping[str, Any]) -> list[CaseParty]:
    """The search rows of one person: their name, aliases, date of birth, postcode, phone."""
    name = str(person.get("name", ""))
    born = next((b for b in map(keys.birth_date, person.get("date_of_birth", [])) if b), "")
    who = keys.person_key(name, born)
    found = [("name", keys.name_text(name), keys.phonetic(name))]
    found += [("aliases", keys.name_text(a), keys.phonetic(a)) for a in person.get("aliases", [])]
    found += [("date_of_birth", keys.birth_date(d), "") for d in person.get("date_of_birth", [])]
    found += [("postcode", keys.postcode(p), "") for p in person.get("postcode", [])]
    found += [("phone", keys.phone(p), "") for p in person.get("phone", [])]
    return [CaseParty(case=case, force_id=case.force_id, party=key, kind=kind, search=text,
                      phonetic=sound[:200], person=who, hidden_from=hidden,
                      opened_at=case.opened_at)
            for kind, text, sound in found if text]


def party_rows(case: Case, scheme: Scheme) -> list[CaseParty]:
    """The search rows of a case's parties (its people's details where the case holds them,
    else their names), with the roles each is hidden from."""
    rows = []
    for key, names in case.parties.items():
        party = scheme.party(key)
        hidden = _hidden_text(party.hidden_from) if party else ""
        people = case.people.get(key) or [{"name": name} for name in names]
        for person in people:
            rows.extend(_person_rows(case, key, hidden, person))
    return rows


def rewrite_party_rows(case: Case, scheme: Scheme, *, stored: bool = True) -> None:
    """Replace the case's search rows, and count its name words in the force's vocabulary.
    ``stored=False``: the case was inserted by this transaction, so it has no rows or words
    yet to read or delete (only ``rewrite_party_rows`` writes them, in a step)."""
    rows = party_rows(case, scheme)
    before = name_words.case_words(case.pk) if stored else set()
    if stored:
        CaseParty.objects.filter(case=case).delete()
    row_sql.insert_many(rows)
    name_words.words_move(force_id=case.force_id, before=before, after=name_words.words_of(rows))


def seen_by_sql(roles: Collection[str], row: str) -> tuple[str, list[str]]:
    """``seen_by`` as an SQL condition on the party row ``row`` (an alias), for a statement
    written without the ORM."""
    shown = [f"{row}.hidden_from = ''"]
    shown += [f"{row}.hidden_from NOT LIKE %s ESCAPE '\\'" for _ in roles]
    return f"({' OR '.join(shown)})", [f"% {_like(role)} %" for role in roles]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def seen_by(roles: Collection[str]) -> Q:
    """Party rows a user holding ``roles`` may see (hidden only when every role of the user is
    in ``hidden_from``)."""
    visible = Q(hidden_from="")
    for role in roles:
        visible |= ~Q(hidden_from__contains=f" {role} ")
    return visible
