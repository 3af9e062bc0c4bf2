"""Find cases by a reference (whole or part) or by a person: names in any order, aliases,
misspellings, a date of birth, a postcode or a phone number.

The same keys (``person_keys``) are stored and searched on every database: each word of a name
matches a word of a party's name or alias by its letters or by its Metaphone key ('Okafour'
finds 'Okafor'), or it is spelt nearly like a word of a party name of the force ('Devlim'
finds 'Devlin', compared in Python among the few names that share its first letters). On
PostgreSQL a word also matches by trigram word similarity (``pg_trgm``, indexed), which finds
longer names with a wrong letter among all the force's names.
"""

from __future__ import annotations

from collections.abc import Collection

import jellyfish
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from webapp.cases import person_keys as keys
from webapp.cases.models import CaseParty
from webapp.cases.parties import seen_by

NAME_KINDS = ("name", "aliases")
MIN_REFERENCE_PART = 3
MIN_NEAR_WORD = 4  # letters: a shorter word is near too many others
NEAR = 0.9  # Jaro-Winkler similarity of a misspelt word to the name it is taken for
NEAR_CANDIDATES = 2000  # distinct names compared in Python, at most
# a shorter word has too few trigrams to be similar to anything
MIN_TRIGRAM_WORD = 3  # characters of a reference that a search takes as part of one

# The lookup for this one field only (django.contrib.postgres stays out of INSTALLED_APPS).
CaseParty._meta.get_field("search").register_lookup(TrigramWordSimilar)


def _near_words(word: str, force_id: int) -> set[str]:
    """Words of the force's party names spelt nearly like ``word`` (a letter wrong, missing or
    swapped: 'Devlim', 'Marhs'), which neither the letters nor the Metaphone key find: among
    the names sharing its first letters, those with a Jaro-Winkler similarity of 0.9 or more."""
    if len(word) < MIN_NEAR_WORD or not word.isalpha():
        return set()
    names = (CaseParty.objects.filter(force_id=force_id, kind__in=NAME_KINDS,
                                      search__contains=word[:2])
             .values_list("search", flat=True).distinct()[:NEAR_CANDIDATES])
    words = {w for name in names for w in name.split() if w[:1] == word[:1]}
    return {w for w in words if jellyfish.jaro_winkler_similarity(word, w) >= NEAR}


def _word(word: str, force_id: int) -> Q:
    found = Q(search__contains=word)
    for near in _near_words(word, force_id):
        found |= Q(search__contains=near)
    key = keys.word_key(word)
    if key:
        found |= Q(phonetic__contains=f" {key} ")
    if connection.vendor == "postgresql" and len(word) >= MIN_TRIGRAM_WORD:
        found |= Q(search__trigram_word_similar=word)
    return found


def _details(text: str, force_id: int) -> Q | None:
    """Rows matching ``text`` as a person's name (every word), date of birth, postcode or
    phone number; None when it is none of them."""
    found: list[Q] = []
    words = keys.name_text(text).split()
    if words and any(w.isalpha() for w in words):
        name = Q(kind__in=NAME_KINDS)
        for word in words:
            name &= _word(word, force_id)
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


def case_match(text: str, roles: Collection[str], force_id: int) -> Q:
    """Cases whose reference holds ``text``, or with a party whose details match it that a
    user holding ``roles`` may see."""
    text = " ".join(text.split())
    found = Q(reference__iexact=text)
    if len(text) >= MIN_REFERENCE_PART and any(c.isdigit() for c in text):
        found |= Q(reference__icontains=text)
    details = _details(text, force_id)
    if details is not None:
        rows = CaseParty.objects.filter(details, seen_by(roles), force_id=force_id,
                                        case=OuterRef("pk"))
        found |= Q(Exists(rows))
    return found
