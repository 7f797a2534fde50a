"""The report deliveries are steering's now (steering 0001): the dashboards app lets the model go,
its table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_reportdelivery_table"), ("steering", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ReportDelivery")]),
    ]
