from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('processes', '0003_deploy_national_base'),
    ]

    operations = [
        migrations.AddField(
            model_name='processdraft',
            name='scenario_results',
            field=models.JSONField(blank=True, default=None, help_text="each scenario's result at the last save; null when the draft had errors", null=True),
        ),
    ]
