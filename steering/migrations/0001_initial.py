"""The steering models, moved here from kpis (stakeholders, action plans) and dashboards (report
deliveries) with their rows: their tables were renamed first (kpis 0006, dashboards 0002), so this
migration only tells Django's state that the models are steering's now. The indexes keep their old
names here; 0002 renames them."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dashboards', '0002_reportdelivery_table'),
        ('kpis', '0006_steering_tables'),
        ('tenancy', '0003_organization_min_group_size'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Stakeholder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=64, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.\\-]*$', 'Use letters, digits, dots, dashes and underscores only, starting with a letter or digit.')], verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('kpis_for_action', models.JSONField(blank=True, default=list, verbose_name='KPIs for action')),
                ('kpis_for_information', models.JSONField(blank=True, default=list, verbose_name='KPIs for information')),
                ('frequency', models.CharField(choices=[('weekly', 'Weekly'), ('monthly', 'Monthly'), ('quarterly', 'Quarterly')], default='monthly', max_length=16, verbose_name='report frequency')),
                ('flagship_kpi', models.CharField(default='nps', max_length=150, verbose_name='flagship KPI')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tenancy.organization')),
                ('units', models.ManyToManyField(blank=True, help_text='Empty: the whole organization.', related_name='stakeholders', to='tenancy.orgunit', verbose_name='units in scope')),
                ('users', models.ManyToManyField(blank=True, related_name='stakeholders', to=settings.AUTH_USER_MODEL, verbose_name='users')),
            ],
            options={
                'verbose_name': 'stakeholder',
                'verbose_name_plural': 'stakeholders',
                'ordering': ['name', 'code'],
            },
        ),
        migrations.CreateModel(
            name='ReportDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(max_length=8, verbose_name='period')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail')),
                ('language', models.CharField(blank=True, max_length=8, verbose_name='language')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=16, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('error', models.TextField(blank=True, verbose_name='last error')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='last attempt')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tenancy.organization')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='report_deliveries', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ('stakeholder', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='steering.stakeholder', verbose_name='stakeholder')),
            ],
            options={
                'verbose_name': 'report delivery',
                'verbose_name_plural': 'report deliveries',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ActionPlan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('external_id', models.CharField(blank=True, max_length=128, verbose_name='external id')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('target_kpi', models.CharField(blank=True, max_length=150, verbose_name='target KPI')),
                ('target_dimension', models.CharField(blank=True, max_length=64, verbose_name='target dimension')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('in_progress', 'In progress'), ('done', 'Done'), ('dropped', 'Dropped')], default='planned', max_length=16, verbose_name='status')),
                ('start_on', models.DateField(verbose_name='start')),
                ('due_on', models.DateField(verbose_name='due')),
                ('done_on', models.DateField(blank=True, null=True, verbose_name='completed on')),
                ('notes', models.TextField(blank=True, validators=[django.core.validators.MaxLengthValidator(5000)], verbose_name='notes')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tenancy.organization')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='action_plans', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='action_plans', to='tenancy.orgunit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'action plan',
                'verbose_name_plural': 'action plans',
                'ordering': ['due_on', 'id'],
                'indexes': [models.Index(fields=['organization', 'unit'], name='kpis_action_organiz_b6cfae_idx'), models.Index(fields=['organization', 'status', 'due_on'], name='kpis_action_organiz_11774b_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('organization', 'external_id'), name='actionplan_unique_external_id'), models.CheckConstraint(condition=models.Q(('due_on__gte', models.F('start_on'))), name='actionplan_due_after_start'), models.CheckConstraint(condition=models.Q(models.Q(('done_on__isnull', False), ('status', 'done')), models.Q(models.Q(('status', 'done'), _negated=True), ('done_on__isnull', True)), _connector='OR'), name='actionplan_done_on_iff_done'), models.CheckConstraint(condition=models.Q(('done_on__isnull', True), ('done_on__gte', models.F('start_on')), _connector='OR'), name='actionplan_done_after_start')],
            },
        ),
        migrations.AddConstraint(
            model_name='stakeholder',
            constraint=models.UniqueConstraint(fields=('organization', 'code'), name='stakeholder_unique_code_per_org'),
        ),
        migrations.AddIndex(
            model_name='reportdelivery',
            index=models.Index(fields=['organization', 'stakeholder', 'status'], name='dashboards__organiz_bcef24_idx'),
        ),
        migrations.AddConstraint(
            model_name='reportdelivery',
            constraint=models.UniqueConstraint(fields=('organization', 'stakeholder', 'period', 'user'), name='reportdelivery_once_per_user'),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
