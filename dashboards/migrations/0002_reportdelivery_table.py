"""The report deliveries move to the steering app: the table takes its new name first (see
kpis 0006)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0001_initial"), ("kpis", "0006_steering_tables")]

    operations = [migrations.AlterModelTable(name="reportdelivery", table="steering_reportdelivery")]
