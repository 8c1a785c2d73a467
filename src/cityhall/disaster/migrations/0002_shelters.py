"""Shelter status, its history, staff assignments and crowding thresholds (取組12)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):


    dependencies = [
        ('core', '0003_periodictaskrun'),
        ('disaster', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CrowdingThresholds',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('somewhat_crowded_percent', models.PositiveSmallIntegerField(default=30, verbose_name='somewhat crowded from (percent)')),
                ('crowded_percent', models.PositiveSmallIntegerField(default=60, verbose_name='crowded from (percent)')),
                ('full_percent', models.PositiveSmallIntegerField(default=80, verbose_name='full from (percent)')),
                ('updated_at', models.DateTimeField(blank=True, null=True, verbose_name='last updated')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
            ],
            options={
                'verbose_name': 'crowding thresholds',
                'verbose_name_plural': 'crowding thresholds',
                'constraints': [models.CheckConstraint(condition=models.Q(('somewhat_crowded_percent__gte', 1), ('somewhat_crowded_percent__lt', models.F('crowded_percent')), ('crowded_percent__lt', models.F('full_percent')), ('full_percent__lte', 100)), name='disaster_crowdingthresholds_ordered')],
            },
        ),
        migrations.CreateModel(
            name='ShelterAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('assigned_at', models.DateTimeField(auto_now_add=True, verbose_name='assigned at')),
                ('is_demo', models.BooleanField(default=False, verbose_name='demo record')),
                ('assigned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assigned by')),
                ('facility', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shelter_assignments', to='core.facility', verbose_name='shelter')),
                ('staff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shelter_assignments', to=settings.AUTH_USER_MODEL, verbose_name='staff member')),
            ],
            options={
                'verbose_name': 'shelter assignment',
                'verbose_name_plural': 'shelter assignments',
                'ordering': ['facility__name_kana', 'facility__name'],
                'constraints': [models.UniqueConstraint(fields=('facility', 'staff'), name='disaster_shelterassignment_unique')],
            },
        ),
        migrations.CreateModel(
            name='ShelterStatus',
            fields=[
                ('facility', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='shelter_status', serialize=False, to='core.facility', verbose_name='shelter')),
                ('is_open', models.BooleanField(default=False, verbose_name='open')),
                ('crowding', models.CharField(blank=True, choices=[('available', 'Available'), ('somewhat_crowded', 'Somewhat crowded'), ('crowded', 'Crowded'), ('full', 'Full')], help_text='Empty while the shelter is closed.', max_length=20, verbose_name='crowding')),
                ('head_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='people present')),
                ('capacity', models.PositiveIntegerField(blank=True, help_text='How many people the shelter can take; the GSI data has no capacity.', null=True, verbose_name='capacity')),
                ('capacity_is_demo', models.BooleanField(default=False, verbose_name='capacity invented for the demo')),
                ('pets_allowed', models.BooleanField(blank=True, null=True, verbose_name='pets allowed')),
                ('supplies', models.CharField(blank=True, max_length=300, verbose_name='supplies')),
                ('notes', models.TextField(blank=True, max_length=1000, verbose_name='notes for the public')),
                ('opened_at', models.DateTimeField(blank=True, null=True, verbose_name='opened at')),
                ('updated_at', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='last updated')),
                ('is_demo', models.BooleanField(default=False, verbose_name='demo record')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
            ],
            options={
                'verbose_name': 'shelter status',
                'verbose_name_plural': 'shelter statuses',
                'permissions': [('update_any_shelter', 'Can update the status of any shelter'), ('manage_shelters', 'Can assign staff to shelters and set crowding thresholds')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('crowding', ''), ('is_open', False)), models.Q(('is_open', True), models.Q(('crowding', ''), _negated=True)), _connector='OR'), name='disaster_shelterstatus_crowding_only_when_open')],
            },
        ),
        migrations.CreateModel(
            name='ShelterStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('changed_at', models.DateTimeField(db_index=True, verbose_name='changed at')),
                ('event', models.CharField(choices=[('opened', 'Opened'), ('closed', 'Closed'), ('full', 'Became full'), ('updated', 'Updated')], max_length=10, verbose_name='event')),
                ('fields', models.JSONField(default=list, verbose_name='fields changed')),
                ('is_open', models.BooleanField(verbose_name='open')),
                ('crowding', models.CharField(blank=True, choices=[('available', 'Available'), ('somewhat_crowded', 'Somewhat crowded'), ('crowded', 'Crowded'), ('full', 'Full')], max_length=20, verbose_name='crowding')),
                ('head_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='people present')),
                ('capacity', models.PositiveIntegerField(blank=True, null=True, verbose_name='capacity')),
                ('pets_allowed', models.BooleanField(blank=True, null=True, verbose_name='pets allowed')),
                ('supplies', models.CharField(blank=True, max_length=300, verbose_name='supplies')),
                ('notes', models.TextField(blank=True, verbose_name='notes for the public')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                ('facility', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shelter_status_changes', to='core.facility', verbose_name='shelter')),
            ],
            options={
                'verbose_name': 'shelter status change',
                'verbose_name_plural': 'shelter status changes',
                'ordering': ['-changed_at', '-pk'],
                'indexes': [models.Index(fields=['facility', '-changed_at'], name='disaster_sh_facilit_b4d58e_idx')],
            },
        ),
    ]
