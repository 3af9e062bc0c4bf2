"""Find cases by a reference (whole or part) or by a person: names in any order, aliases,
misspellings, a date of birth, a postcode or a phone number.

The same keys (``person_keys``) are stored and searched on every database: each word of a name
matches a word of a party's name or alias by its letters or by its Metaphone key ('Okafour'
finds 'Okafor'). On PostgreSQL a word also matches by trigram similarity (``pg_trgm``, indexed),
which finds misspellings Metaphone hears differently ('Okafro').
"""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from webapp.cases import person_keys as keys
from webapp.cases.models import CaseParty
from webapp.cases.parties import seen_by

NAME_KINDS = ("name", "aliases")
MIN_REFERENCE_PART = 3
# a shorter word has too few trigrams to be similar to anything
MIN_TRIGRAM_WORD = 3  # characters of a reference that a search takes as part of one

# The lookup for this one field only (django.contrib.postgres stays out of INSTALLED_APPS).
CaseParty._meta.get_field("search").register_lookup(TrigramWordSimilar)


def _word(word: str) -> Q:
    found = Q(search__contains=word)
    key = keys.word_key(word)
    if key:
        found |= Q(phonetic__contains=f" {key} ")
    if connection.vendor == "postgresql" and len(word) >= MIN_TRIGRAM_WORD:
        found |= Q(search__trigram_word_similar=word)
    return found


def _details(text: str) -> Q | None:
    """Rows matching ``text`` as a person's name (every word), date of birth, postcode or
    phone number; None when it is none of them."""
    found: list[Q] = []
    words = keys.name_text(text).split()
    if words and any(w.isalpha() for w in words):
        name = Q(kind__in=NAME_KINDS)
        for word in words:
            name &= _word(word)
        found.append(name)
    if born := keys.birth_date(text):
        found.append(Q(kind="date_of_birth", search=born))
    if code := keys.postcode(text):
        found.append(Q(kind="postcode", search__startswith=code))
    if (number := keys.phone(text)) and not born:
        found.append(Q(kind="phone", search__contains=number))
    if not found:
        return None
    either = found[0]
    for more in found[1:]:
        either |= more
    return either


def case_match(text: str, roles: Collection[str]) -> Q:
    """Cases whose reference holds ``text``, or with a party whose details match it that a
    user holding ``roles`` may see."""
    text = " ".join(text.split())
    found = Q(reference__iexact=text)
    if len(text) >= MIN_REFERENCE_PART and any(c.isdigit() for c in text):
        found |= Q(reference__icontains=text)
    details = _details(text)
    if details is not None:
        rows = CaseParty.objects.filter(details, seen_by(roles), case=OuterRef("pk"))
        found |= Q(Exists(rows))
    return found
