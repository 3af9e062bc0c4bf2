"""Find cases by a reference (whole or part) or by a person: names in any order, aliases,
misspellings, a date of birth, a postcode or a phone number.

The same keys (``person_keys``) are stored and searched on every database: each word of a name
matches a word of a party's name or alias by its letters or by its Metaphone key ('Okafour'
finds 'Okafor'), or it is spelt nearly like a word of a party name of the force ('Devlim'
finds 'Devlin', compared in Python among the force's name words sharing its first letter,
``NameWord``). On PostgreSQL a word also matches by trigram word similarity (``pg_trgm``,
indexed), which finds longer names with a wrong letter among all the force's names. Every
arm reads a trigram index led by the force with the force in its condition (``_of_force``).
"""

from __future__ import annotations

from collections.abc import Collection

import jellyfish
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast

from webapp.cases import person_keys as keys
from webapp.cases.models import Case, CaseParty, NameWord
from webapp.cases.name_words import NAME_KINDS
from webapp.cases.parties import seen_by

MIN_REFERENCE_PART = 3
MIN_NEAR_WORD = 4  # letters: a shorter word is near too many others
NEAR = 0.9  # Jaro-Winkler similarity of a misspelt word to the name it is taken for
NEAR_CANDIDATES = 5000  # words of the force sharing a first letter compared in Python, at most
# a shorter word has too few trigrams to be similar to anything
MIN_TRIGRAM_WORD = 3  # characters of a reference that a search takes as part of one
# matching rows read as a list of case ids, at most (below SQLite's 999 parameters); more are
# searched in one statement
MATCHES_LISTED = 900

# The lookup for this one field only (django.contrib.postgres stays out of INSTALLED_APPS).
CaseParty._meta.get_field("search").register_lookup(TrigramWordSimilar)


def _near_words(words: list[str], force_id: int) -> dict[str, set[str]]:
    """Each word -> the words of the force's party names spelt nearly like it (a letter wrong,
    missing or swapped: 'Devlim', 'Marhs'), which neither the letters nor the Metaphone key
    find: among the force's name words sharing its first letter (``NameWord``, its
    vocabulary, not its cases; at most ``NEAR_CANDIDATES`` a letter), those with a
    Jaro-Winkler similarity of 0.9 or more. One statement for every word of the search (a read
    per first letter, joined by UNION ALL where the database orders and limits each part)."""
    eligible = {w for w in words if len(w) >= MIN_NEAR_WORD and w.isalpha()}
    per_letter = [NameWord.objects.filter(force_id=force_id, word__startswith=letter)
                  .order_by("word").values_list("word", flat=True)[:NEAR_CANDIDATES]
                  for letter in sorted({w[:1] for w in eligible})]
    if len(per_letter) > 1 and connection.features.supports_slicing_ordering_in_compound:
        per_letter = [per_letter[0].union(*per_letter[1:], all=True)]
    candidates = [candidate for part in per_letter for candidate in part]
    return {word: {c for c in candidates if c[:1] == word[:1]
                   and jellyfish.jaro_winkler_similarity(word, c) >= NEAR}
            if word in eligible else set() for word in words}


def _of_force(force_id: int) -> Q:
    """The force's rows, its id typed as the column (``bigint``): a plain integer compares as
    int8 = int4, an operator the ``btree_gin`` class of the force-led trigram indexes lacks, and
    the planner then leaves the force out of their Index Cond (reading every force's
    entries)."""
    return Q(force_id=Cast(Value(force_id), output_field=BigIntegerField()))


def _word(word: str, near_words: set[str]) -> Q:
    found = Q(search__contains=word)
    for near in sorted(near_words):
        if word not in near:  # (a longer word holding this one is found by its letters)
            found |= Q(search__contains=near)
    key = keys.word_key(word)
    if key:
        found |= Q(phonetic__contains=f" {key} ")
    if connection.vendor == "postgresql" and len(word) >= MIN_TRIGRAM_WORD:
        found |= Q(search__trigram_word_similar=word)
    return found


def _details(text: str, near: dict[str, set[str]]) -> Q | None:
    """Rows matching ``text`` as a person's name (every word), date of birth, postcode or
    phone number; None when it is none of them."""
    found: list[Q] = []
    words = keys.name_text(text).split()
    if words and any(w.isalpha() for w in words):
        name = Q(kind__in=NAME_KINDS)
        for word in words:
            name &= _word(word, near[word])
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


def _reference(text: str) -> Q:
    """Cases whose reference is ``text`` or, if it holds a digit, holds it (indexed on
    PostgreSQL: cases migration 0022)."""
    found = Q(reference__iexact=text)
    if len(text) >= MIN_REFERENCE_PART and any(c.isdigit() for c in text):
        found |= Q(reference__icontains=text)
    return found


def _listed(reference: Q, rows: QuerySet[CaseParty] | None, force_id: int) -> list[int] | None:
    """The ids of the force's cases matching ``reference`` or holding one of ``rows``, read
    first, when there are at most ``MATCHES_LISTED`` matching rows; else None."""
    ids = Case.objects.filter(reference, force_id=force_id).order_by().values_list("pk",
                                                                                   flat=True)
    if rows is not None:
        ids = ids.union(rows.order_by().values_list("case_id", flat=True), all=True)
    found = list(ids[:MATCHES_LISTED + 1])
    return None if len(found) > MATCHES_LISTED else sorted(set(found))


def _common(near: dict[str, set[str]], force_id: int) -> bool:
    """Whether the search is one name word that the force's vocabulary shows held by more
    cases than ``MATCHES_LISTED`` (itself or a near spelling, both found by their letters):
    the list of matching cases would overflow, so it is not read."""
    if len(near) != 1:
        return False
    word, spellings = next(iter(near.items()))
    return word.isalpha() and NameWord.objects.filter(
        force_id=force_id, word__in={word, *spellings}, cases__gt=MATCHES_LISTED).exists()


def case_match(text: str, roles: Collection[str], force_id: int) -> Q:
    """Cases whose reference holds ``text``, or with a party whose details match it that a
    user holding ``roles`` may see.

    The matching case ids are read first (a statement served by the indexes of the arms) and
    the cases then by their ids, so a search matching few cases no longer tests every case of
    the force, newest first, for a page it never fills. A search matching more rows than
    ``MATCHES_LISTED`` (or one common name word, by the vocabulary's counts, without reading
    them) reads the force's cases newest first, each looked up among its party rows, until a
    page is found: few, since matches are many (docs/benchmarks.md, "Person search: matching
    cases read first")."""
    text = " ".join(text.split())
    reference = _reference(text)
    near = _near_words(keys.name_text(text).split(), force_id)
    details = _details(text, near)
    rows = (None if details is None else
            CaseParty.objects.filter(details, seen_by(roles), _of_force(force_id)))
    listed = None if rows is not None and _common(near, force_id) else _listed(reference, rows,
                                                                                 force_id)
    if listed is not None:
        return Q(pk__in=listed)
    if rows is None:
        return reference
    held = Q(Exists(rows.filter(case=OuterRef("pk"))))
    named = _listed(reference, None, force_id)
    if named is None:  # a reference's part in many references: one statement, as before
        return reference | held
    # (no reference named, the usual case: the cases of the force are read newest first,
    # each looked up among the party rows, until a page is found)
    return Q(pk__in=named) | held
