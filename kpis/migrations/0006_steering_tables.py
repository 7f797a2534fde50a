"""Stakeholders and action plans move to the steering app: their tables (and the stakeholders'
many-to-many tables) take the steering app's names first, then steering takes the models
(steering 0001) and kpis lets them go (0007). No row is copied."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("kpis", "0005_steering")]

    operations = [
        migrations.AlterModelTable(name="stakeholder", table="steering_stakeholder"),
        migrations.AlterModelTable(name="actionplan", table="steering_actionplan"),
    ]
