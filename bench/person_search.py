"""Person search at scale (issue 17): the force's cases and party rows made by `generate_series`,
then each search timed from Python (the case list's statement and the vocabulary reads) and
every statement run under `EXPLAIN (ANALYZE)`, before (the query of "Person search: scoped to
the force", kept below as the reference) and after (``webapp.cases.person_search``), with the
found case references compared.

PostgreSQL only, on a throwaway database already migrated::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_search3_bench \\
        .venv/bin/python bench/person_search.py --forces 10 --cases 4000 [--grow 10]

``--cases`` is the number per force made by this run (added to any already there); ``--grow``
makes no data but times and explains again. Names and aliases come from 25 first × 36 last
names, a fifth with an extra word from a skewed pool of 20,000 made-up words (a vocabulary
that grows more slowly than the cases, as real ones do).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

import django  # noqa: E402

django.setup()

import jellyfish  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Exists, OuterRef, Q  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from webapp.cases import person_keys as keys  # noqa: E402
from webapp.cases.models import Case, CaseParty  # noqa: E402
from webapp.cases.parties import seen_by  # noqa: E402
from webapp.cases.person_search import case_match  # noqa: E402

FIRST = ("hannah james oliver amelia jack grace thomas emily harry sophie george chloe noah "
         "lucy jacob ella charlie mia daniel ava samuel ruby joseph lily dean").split()
LAST = ("walsh smith jones taylor brown williams wilson johnson davies robinson wright "
        "thompson evans walker white roberts green hall wood jackson clarke patel khan lewis "
        "harris martin cooper king lee baker hill moore devlin marsh ward turner").split()
EXTRA_WORDS = 20000
SEARCHES = ("Hannah Walsh", "Okafor", "Devlim", "Marhs Dean", "11/02/1984")
ROLES = ("decision_maker",)


def _pool(cursor) -> None:
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS pool (list text, i int, word text, key text)")
    cursor.execute("TRUNCATE pool")
    extra = [hashlib.md5(str(n).encode()).hexdigest()[:7].translate(  # noqa: S324 (names)
        str.maketrans("0123456789", "ghijklmnop")) for n in range(EXTRA_WORDS)]
    for name, words in (("first", FIRST), ("last", LAST), ("extra", extra)):
        cursor.executemany("INSERT INTO pool VALUES (%s, %s, %s, %s)",
                           [(name, i, w, keys.word_key(w)) for i, w in enumerate(words)])


def _make(forces: int, per_force: int) -> None:
    from django.contrib.auth import get_user_model

    from webapp.forces.models import Force
    from webapp.processes.registry import version_from_folder
    user, _ = get_user_model().objects.get_or_create(username="bench.search")
    version = version_from_folder("csods", note="bench/person_search.py")
    made = [Force.objects.get_or_create(code=f"S{n:02d}", defaults={"name": f"Force {n}"})[0]
            for n in range(forces)]
    ids = [f.pk for f in made]
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # (the web's limit is for requests)
        _pool(cursor)
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        base = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO cases_case (force_id, reference, scheme, status, stage, version_id, "
            "state, opened_at, opened_by_id, outcome_codes, parties, people, risks, "
            "timer_failures, revision, retention_class, legal_hold) "
            "SELECT f, 'B' || f || '-' || (%s + g), 'csods', 'open', '', %s, ''::bytea, "
            "now() - ((%s + g) * interval '1 minute'), %s, '[]', '{}', '{}', '[]', 0, 0, '', "
            "false FROM unnest(%s::bigint[]) f, generate_series(1, %s) g",
            [base, version.pk, base, user.pk, ids, per_force])
        # 7.5 rows a case: 5 names and aliases, a date of birth, a postcode, half a phone
        cursor.execute(
            "INSERT INTO cases_caseparty (case_id, force_id, party, kind, search, phonetic, "
            "person, hidden_from) "
            "SELECT c.id, c.force_id, CASE WHEN k <= 2 THEN 'subject' ELSE 'person_at_risk' END,"
            " CASE WHEN k IN (1, 3, 5) THEN 'name' ELSE 'aliases' END, "
            " f.word || ' ' || l.word || coalesce(' ' || e.word, ''), "
            " ' ' || f.key || ' ' || l.key || coalesce(' ' || e.key, '') || ' ', '', '' "
            "FROM cases_case c CROSS JOIN generate_series(1, 5) k "
            "CROSS JOIN LATERAL (SELECT floor(random() * 25)::int a, floor(random() * 36)::int b,"
            "  CASE WHEN random() < 0.2 THEN floor(%s * random() ^ 3)::int END x, k + c.id kk) r "
            "JOIN pool f ON f.list = 'first' AND f.i = r.a "
            "JOIN pool l ON l.list = 'last' AND l.i = r.b "
            "LEFT JOIN pool e ON e.list = 'extra' AND e.i = r.x WHERE c.id > %s",
            [EXTRA_WORDS, base])
        cursor.execute(
            "INSERT INTO cases_caseparty (case_id, force_id, party, kind, search, phonetic, "
            "person, hidden_from) "
            "SELECT c.id, c.force_id, 'subject', 'date_of_birth', "
            " to_char(date '1950-01-01' + (random() * 20000)::int, 'YYYY-MM-DD'), '', '', '' "
            "FROM cases_case c WHERE c.id > %s UNION ALL "
            "SELECT c.id, c.force_id, 'person_at_risk', 'postcode', "
            " 'sg' || (random() * 20)::int || (random() * 9)::int || 'ab', '', '', '' "
            "FROM cases_case c WHERE c.id > %s UNION ALL "
            "SELECT c.id, c.force_id, 'person_at_risk', 'phone', "
            " '07700' || (100000 + (random() * 899999)::int), '', '', '' "
            "FROM cases_case c WHERE c.id > %s AND random() < 0.5",
            [base, base, base])
        # the vocabulary as the migration fills it (counted afresh from the party rows)
        cursor.execute("TRUNCATE cases_nameword")
        from importlib import import_module
        fill = import_module("webapp.cases.migrations.0020_name_words").FILL
        cursor.execute(fill)
        cursor.execute("ANALYZE cases_case; ANALYZE cases_caseparty; ANALYZE cases_nameword")
    print(f"made {forces} × {per_force} cases in {time.monotonic() - started:.0f} s")


def _near_before(word: str, force_id: int) -> set[str]:
    """``_near_words`` as it was: every name row of the force sharing two letters."""
    if len(word) < 4 or not word.isalpha():  # noqa: PLR2004
        return set()
    names = (CaseParty.objects.filter(force_id=force_id, kind__in=("name", "aliases"),
                                      search__contains=word[:2])
             .values_list("search", flat=True).distinct()[:2000])
    words = {w for name in names for w in name.split() if w[:1] == word[:1]}
    return {w for w in words if jellyfish.jaro_winkler_similarity(word, w) >= 0.9}  # noqa: PLR2004


def _match_before(text: str, force_id: int) -> Q:
    """``case_match`` as it was: one EXISTS, the arms of each word in one OR."""
    text = " ".join(text.split())
    found = Q(reference__iexact=text)
    if len(text) >= 3 and any(c.isdigit() for c in text):  # noqa: PLR2004
        found |= Q(reference__icontains=text)
    arms: list[Q] = []
    words = keys.name_text(text).split()
    if words and any(w.isalpha() for w in words):
        name = Q(kind__in=("name", "aliases"))
        for word in words:
            one = Q(search__contains=word)
            for near in _near_before(word, force_id):
                one |= Q(search__contains=near)
            if key := keys.word_key(word):
                one |= Q(phonetic__contains=f" {key} ")
            if len(word) >= 3:  # noqa: PLR2004
                one |= Q(search__trigram_word_similar=word)
            name &= one
        arms.append(name)
    if born := keys.birth_date(text):
        arms.append(Q(kind="date_of_birth", search=born))
    if arms:
        either = arms[0]
        for more in arms[1:]:
            either |= more
        found |= Q(Exists(CaseParty.objects.filter(either, seen_by(ROLES), force_id=force_id,
                                                    case=OuterRef("pk"))))
    return found


def _search(match: Q, force_id: int) -> list[str]:
    qs = (Case.objects.filter(match, force_id=force_id).order_by("-opened_at", "-id")
          .values_list("reference", flat=True))
    return list(qs[:26])


def _all(match: Q, force_id: int) -> list[str]:
    return sorted(Case.objects.filter(match, force_id=force_id)
                  .values_list("reference", flat=True))


def _hash(every: list[str], page: list[str]) -> str:
    return hashlib.sha256(("\n".join(every) + "\n--\n" + "\n".join(page)).encode()).hexdigest()[:12]


def _time(build, force_id: int, runs: int) -> tuple[float, float, int]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        _search(build(), force_id)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    with CaptureQueriesContext(connection) as ran:
        _search(build(), force_id)
    return statistics.median(took), took[int(0.95 * (len(took) - 1))], len(ran.captured_queries)


def _explain(build, force_id: int) -> None:
    with CaptureQueriesContext(connection) as ran:
        _search(build(), force_id)
    with connection.cursor() as cursor:
        for query in ran.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {query['sql']}")
            print("    " + query["sql"][:160])
            for (line,) in cursor.fetchall():
                print("      " + line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forces", type=int, default=10)
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--grow", action="store_true", help="make no data, time only")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--search", action="append", help="only these searches")
    parser.add_argument("--after-only", action="store_true", help="time the present query only")
    args = parser.parse_args()
    if not args.grow:
        _make(args.forces, args.cases)
    force_id = Case.objects.order_by("force_id").values_list("force_id", flat=True)[:1][0] + 1
    print(f"uptime: {os.getloadavg()}; cases {Case.objects.count()}, party rows "
          f"{CaseParty.objects.count()}, force {force_id}: "
          f"{Case.objects.filter(force_id=force_id).count()} cases")
    for text in args.search or SEARCHES:
        builders = {"before": lambda t=text: _match_before(t, force_id),
                    "after": lambda t=text: case_match(t, ROLES, force_id)}
        # every match (sorted) and the page in its order (newest first), compared by hash
        hashes = {label: _hash(_all(build(), force_id), _search(build(), force_id))
                  for label, build in builders.items()}
        same = hashes["before"] == hashes["after"]
        found = len(_all(builders["after"](), force_id))
        print(f"{text!r}: matches and page {hashes['after']}")
        for label, build in builders.items():
            if args.after_only and label == "before":
                continue
            p50, p95, statements = _time(build, force_id, args.runs)
            print(f"{text!r} {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {statements} "
                  f"statements, {found} cases, same as before: {same}")
            if args.explain:
                _explain(build, force_id)
    print(f"uptime: {os.getloadavg()}")


if __name__ == "__main__":
    main()
