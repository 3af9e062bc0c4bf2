"""A trigram index on the Metaphone keys of party names, so person search's phonetic arm
(``phonetic LIKE '% OKFR %'``) reads an index like its other arms instead of every party row
(docs/benchmarks.md, "Person search: the phonetic arm indexed"). PostgreSQL only: SQLite
searches the keys stored on the rows."""

from django.db import migrations

PHONETIC_INDEX = "caseparty_phonetic_trgm"


def _sql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0016_review_due"),
    ]

    operations = [
        migrations.RunPython(
            _sql(f"CREATE INDEX IF NOT EXISTS {PHONETIC_INDEX} ON cases_caseparty "
                 "USING gin (phonetic gin_trgm_ops)"),
            _sql(f"DROP INDEX IF EXISTS {PHONETIC_INDEX}")),
    ]
