"""Indexes for the reference arm of person search (``UPPER(reference) = …`` and ``UPPER(reference)
LIKE '%…%'``, as Django writes ``iexact`` and ``icontains``): a btree and a trigram index on the
upper-cased reference, so a search holding digits (a date, a phone number, a reference's number)
no longer tests every case of the force (docs/benchmarks.md, "Person search: matching cases
read first"). PostgreSQL only: SQLite tests the references as before."""

from django.db import migrations

UPPER_INDEX = "case_reference_upper"
TRIGRAM_INDEX = "case_reference_upper_trgm"


def _sql(*statements: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0021_linked_cases_lookup"),
    ]

    operations = [
        migrations.RunPython(
            _sql(f"CREATE INDEX IF NOT EXISTS {UPPER_INDEX} ON cases_case "
                 "(UPPER(reference::text))",
                 f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON cases_case "
                 "USING gin (UPPER(reference::text) gin_trgm_ops)"),
            _sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}", f"DROP INDEX IF EXISTS {UPPER_INDEX}")),
    ]
