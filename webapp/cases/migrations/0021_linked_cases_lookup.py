"""Linked cases read a person's (or a phone number's) party rows of the force newest first
from an index, at most the 200 the page shows, instead of the newest cases of the force and
their parties: each party row carries its case's opening time, and two partial indexes lead
with the force and the key (docs/benchmarks.md, "Case page and lists near the floor")."""

from django.db import migrations, models

FILL = ("UPDATE cases_caseparty SET opened_at = (SELECT c.opened_at FROM cases_case c "
        "WHERE c.id = cases_caseparty.case_id)")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0020_name_words"),
        ("forces", "0006_admin_units_running_profiles"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseparty",
            name="opened_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="caseparty",
            name="opened_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveIndex(
            model_name="caseparty",
            name="caseparty_person",
        ),
        migrations.AddIndex(
            model_name="caseparty",
            index=models.Index(condition=models.Q(("kind", "name")),
                               fields=["force", "person", "-opened_at", "id"],
                               include=["case", "party", "hidden_from"],
                               name="caseparty_force_person"),
        ),
        migrations.AddIndex(
            model_name="caseparty",
            index=models.Index(condition=models.Q(("kind", "phone")),
                               fields=["force", "search", "-opened_at", "id"],
                               include=["case", "party", "hidden_from"],
                               name="caseparty_force_phone"),
        ),
    ]
