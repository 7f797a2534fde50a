"""Stakeholders and action plans are steering's now (steering 0001): kpis lets the models go,
their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0006_steering_tables"),
        ("steering", "0001_initial"),
        ("dashboards", "0003_reportdelivery_to_steering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ActionPlan"),
                migrations.DeleteModel(name="Stakeholder"),
            ]
        ),
    ]
