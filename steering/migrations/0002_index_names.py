"""The moved models' indexes take names of their own, and the content types of the moved models
(their permissions, the admin's log) follow them to the steering app."""

from django.db import migrations

MOVED = {"kpis": ["stakeholder", "actionplan"], "dashboards": ["reportdelivery"]}


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models in MOVED.items():
        for model in models:
            if not ContentType.objects.filter(app_label="steering", model=model).exists():
                ContentType.objects.filter(app_label=app_label, model=model).update(app_label="steering")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models in MOVED.items():
        ContentType.objects.filter(app_label="steering", model__in=models).update(app_label=app_label)


class Migration(migrations.Migration):
    dependencies = [("steering", "0001_initial"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.RenameIndex(
            model_name="actionplan", new_name="actionplan_org_unit_idx", old_name="kpis_action_organiz_b6cfae_idx"
        ),
        migrations.RenameIndex(
            model_name="actionplan",
            new_name="actionplan_org_status_due_idx",
            old_name="kpis_action_organiz_11774b_idx",
        ),
        migrations.RenameIndex(
            model_name="reportdelivery",
            new_name="reportdelivery_org_status_idx",
            old_name="dashboards__organiz_bcef24_idx",
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
