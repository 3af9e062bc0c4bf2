"""The words of each force's party names with the number of cases holding each (``NameWord``),
filled from the party rows, so person search compares a misspelt word with the force's
vocabulary instead of reading every name row of the force (docs/benchmarks.md, "Person search:
every arm bounded by the force"). On PostgreSQL a ``varchar_pattern_ops`` index serves the
search's ``word LIKE 'd%'`` in any collation."""

from django.db import migrations, models

NAME_KINDS = ("name", "aliases")
FILL = ("INSERT INTO cases_nameword (force_id, word, cases) "
        "SELECT p.force_id, w.word, count(DISTINCT p.case_id) FROM cases_caseparty p, "
        "unnest(string_to_array(p.search, ' ')) AS w(word) "
        "WHERE p.kind IN ('name', 'aliases') AND w.word <> '' GROUP BY p.force_id, w.word")
PREFIX_INDEX = ("CREATE INDEX IF NOT EXISTS nameword_force_prefix ON cases_nameword "
                "(force_id, word varchar_pattern_ops)")


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL)
        schema_editor.execute(PREFIX_INDEX)
        return
    party, word = apps.get_model("cases", "CaseParty"), apps.get_model("cases", "NameWord")
    held: dict[tuple[int, str], set[int]] = {}
    for force_id, case_id, search in (party.objects.filter(kind__in=NAME_KINDS)
                                      .values_list("force_id", "case_id", "search").iterator()):
        for w in search.split():
            held.setdefault((force_id, w), set()).add(case_id)
    word.objects.bulk_create([word(force_id=f, word=w, cases=len(c))
                              for (f, w), c in held.items()], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0019_worklist_received"),
        ("forces", "0006_admin_units_running_profiles"),
    ]

    operations = [
        migrations.CreateModel(
            name="NameWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("word", models.CharField(max_length=200)),
                ("cases", models.PositiveIntegerField(default=0)),
                ("force", models.ForeignKey(on_delete=models.deletion.CASCADE,
                                            related_name="+", to="forces.force")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("force", "word"),
                                                        name="nameword_force_word")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
