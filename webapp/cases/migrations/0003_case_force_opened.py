# The case list (no status filter) read 50,000 rows per page at 100,000 cases: bench/inbox.py.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0002_case_timer_failures_casetimer_clock_casetimer_kind_and_more'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['force', '-opened_at', '-id'], name='case_force_opened'),
        ),
    ]
