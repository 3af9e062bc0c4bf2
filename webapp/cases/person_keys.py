"""How a person's details are written for search and linking, the same on every database: names
lower-cased without accents or punctuation (with a Metaphone key per word, for misspellings
such as 'Okafour'), dates of birth as ISO dates, postcodes without spaces, phone numbers as
their digits (a +44 prefix as 0)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

import jellyfish

_NOT_LETTERS = re.compile(r"[^a-z0-9]+")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%d %B %Y",
                 "%d %b %Y")
_POSTCODE = re.compile(r"^[a-z]{1,2}[0-9][a-z0-9]?(?:[0-9][a-z]{0,2})?$")
UK_INTERNATIONAL_DIGITS = 12  # 44 and a national number without its 0
MIN_PHONE_DIGITS = 6  # fewer digits than this in a search are not taken for a phone number


def name_text(text: str) -> str:
    """'Dean  O'Marsh-Smith' -> 'dean o marsh smith'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_NOT_LETTERS.sub(" ", plain).split())[:200]


def word_key(word: str) -> str:
    """The Metaphone key of one word (empty for numbers)."""
    return jellyfish.metaphone(word) if word.isalpha() else ""


def phonetic(text: str) -> str:
    """The keys of a name's words, space-delimited with a space at either end (so a LIKE
    '% KEY %' finds a word)."""
    keys = [k for k in (word_key(w) for w in name_text(text).split()) if k]
    return f" {' '.join(keys)} " if keys else ""


def birth_date(text: str) -> str:
    """An ISO date from a date as people write it, or ''."""
    text = " ".join(str(text).split())[:40]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()  # noqa: DTZ007 (a date)
        except ValueError:
            continue
    return ""


def postcode(text: str) -> str:
    """'CM16 4AB' -> 'cm164ab' ('' when it does not look like a postcode or part of one)."""
    plain = "".join(str(text).lower().split())
    return plain if _POSTCODE.match(plain) else ""


def phone(text: str) -> str:
    """'+44 7700 900789' -> '07700900789' ('' when there are too few digits)."""
    digits = "".join(c for c in str(text) if c.isdigit())
    if digits.startswith("44") and len(digits) == UK_INTERNATIONAL_DIGITS:
        digits = "0" + digits[2:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def person_key(name: str, born: str) -> str:
    """One person across cases: their name (words in order of the alphabet) and date of birth;
    '' when either is missing (a name alone is too weak to link)."""
    words = sorted(name_text(name).split())
    return f"{' '.join(words)}|{born}"[:250] if words and born else ""
