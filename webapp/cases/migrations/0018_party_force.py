"""Each party row carries its case's force, and on PostgreSQL the trigram indexes of person
search lead with it (``btree_gin``), so a search reads only its force's index entries instead
of every force's (docs/benchmarks.md, "Person search: scoped to the force"). SQLite gets the
column and its plain index only."""

from django.db import migrations, models

FILL = ("UPDATE cases_caseparty SET force_id = (SELECT c.force_id FROM cases_case c "
        "WHERE c.id = cases_caseparty.case_id)")
FORCE_INDEXES = (
    "CREATE EXTENSION IF NOT EXISTS btree_gin; "
    "CREATE INDEX IF NOT EXISTS caseparty_force_search_trgm ON cases_caseparty "
    "USING gin (force_id, search gin_trgm_ops); "
    "CREATE INDEX IF NOT EXISTS caseparty_force_phonetic_trgm ON cases_caseparty "
    "USING gin (force_id, phonetic gin_trgm_ops); "
    "DROP INDEX IF EXISTS caseparty_search_trgm; DROP INDEX IF EXISTS caseparty_phonetic_trgm")
ALL_FORCE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS caseparty_search_trgm ON cases_caseparty "
    "USING gin (search gin_trgm_ops); "
    "CREATE INDEX IF NOT EXISTS caseparty_phonetic_trgm ON cases_caseparty "
    "USING gin (phonetic gin_trgm_ops); "
    "DROP INDEX IF EXISTS caseparty_force_search_trgm; "
    "DROP INDEX IF EXISTS caseparty_force_phonetic_trgm")


def _sql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0017_search_phonetic_trgm"),
        ("forces", "0006_admin_units_running_profiles"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseparty",
            name="force",
            field=models.ForeignKey(null=True, on_delete=models.deletion.CASCADE,
                                    related_name="+", to="forces.force"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="caseparty",
            name="force",
            field=models.ForeignKey(on_delete=models.deletion.CASCADE, related_name="+",
                                    to="forces.force"),
        ),
        migrations.RunPython(_sql(FORCE_INDEXES), _sql(ALL_FORCE_INDEXES)),
    ]
