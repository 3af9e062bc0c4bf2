"""Linked cases: the same person in other cases of the force, of any scheme, so that a second
application about someone is seen at once.

Two party rows are the same person when they have the same name (words in any order) and date
of birth (``person_keys.person_key``), or the same phone number. A name alone links nothing.
Parties the scheme hides from the viewer's roles link nothing for them. Showing the links is a
combination of personal data (DPA 2018 s.62), logged each time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.cases.access import visible
from webapp.cases.models import Case, CaseParty
from webapp.cases.parties import seen_by, shown_parties
from webapp.forces.models import Membership
from webapp.processes.deployments import scheme_titles
from webapp.processes.registry import scheme_for

MIN_LINK_PHONE = 9  # digits: a shorter number is too likely to be shared by chance


@dataclass(frozen=True)
class Linked:
    """Another case holding a person of this one; ``people`` only when the viewer may see it."""

    reference: str
    scheme: str
    how: str  # "Applicant here is the Subject there (same name and date of birth)"
    may_see: bool
    people: tuple[str, ...] = ()


def _label(case: Case, key: str) -> str:
    party = scheme_for(case.version_id).party(key)
    return party.label if party else key


def _matching_rows(membership: Membership, case: Case) -> list[tuple[CaseParty, CaseParty]]:
    seen = seen_by(membership.roles)
    mine = list(CaseParty.objects.filter(seen, case=case)
                .filter(~Q(person="") | Q(kind="phone")))
    people = {row.person for row in mine if row.person}
    phones = {row.search for row in mine if row.kind == "phone"
              and len(row.search) >= MIN_LINK_PHONE}
    if not people and not phones:
        return []
    theirs = (CaseParty.objects.filter(seen, case__force_id=case.force_id)
              .filter(Q(person__in=people, kind="name") | Q(kind="phone", search__in=phones))
              .exclude(case=case).select_related("case").order_by("-case__opened_at", "pk"))
    pairs = []
    for other in theirs[:200]:
        for row in mine:
            same_person = other.kind == "name" and row.kind == "name" and row.person == other.person
            same_phone = other.kind == row.kind == "phone" and row.search == other.search
            if same_person or same_phone:
                pairs.append((row, other))
    return pairs


def linked_cases(membership: Membership, case: Case) -> list[Linked]:
    """The other cases of the force holding a person of ``case``, newest first."""
    found: dict[str, tuple[Case, dict[tuple[str, str], list[str]]]] = {}
    for row, other in _matching_rows(membership, case):
        why = "same name and date of birth" if row.kind == "name" else "same phone number"
        _, pairs = found.setdefault(other.case.reference, (other.case, {}))
        whys = pairs.setdefault((_label(case, row.party), _label(other.case, other.party)), [])
        if why not in whys:
            whys.append(why)
    if not found:
        return []
    may_see = set(Case.objects.filter(visible(membership), reference__in=list(found))
                  .values_list("reference", flat=True))
    titles = scheme_titles(case.force_id)
    linked = []
    for reference, (other, pairs) in found.items():
        how = "; ".join(f"{here} here is the {there} there ({', '.join(whys)})"
                        for (here, there), whys in pairs.items())
        shown = shown_parties(scheme_for(other.version_id), other.parties, membership.roles)
        names = tuple(f"{p.label}: {p.text}" for p in shown if p.names)
        linked.append(Linked(reference, titles.get(other.scheme, other.scheme), how,
                             reference in may_see, names if reference in may_see else ()))
    return linked


def show_linked_cases(user: AbstractBaseUser, membership: Membership, case: Case,
                      why: str) -> list[Linked]:
    """The linked cases for the case page, the combination logged (s.62) when there are any."""
    linked = linked_cases(membership, case)
    if linked:
        record(actor=user, operation=Operation.COMBINE, object_type="linked cases",
               object_id=case.reference, fields=[link.reference for link in linked],
               justification=f"same person in other cases; {why}")
    return linked
