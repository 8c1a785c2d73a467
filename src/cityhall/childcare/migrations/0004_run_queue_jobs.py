"""Matching runs become background jobs (取組7): a state (queued, running, done, failed), a
progress phase, when they were asked for, started and finished, the time limit, the attempts
and the holder of the run, and at most one active run per round. Runs stored before this
migration were solved in the request: they are done, asked for when they ran."""

from django.conf import settings
from django.db import migrations, models


def _requested_when_run(apps, schema_editor):
    MatchingRun = apps.get_model("childcare", "MatchingRun")
    MatchingRun.objects.filter(requested_at__isnull=True).update(
        requested_at=models.F("run_at"), started_at=models.F("run_at"),
        finished_at=models.F("run_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('childcare', '0003_immunisation_records'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='matchingrun',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AddField(
            model_name='matchingrun',
            name='claim',
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.AddField(
            model_name='matchingrun',
            name='error_code',
            field=models.CharField(blank=True, max_length=40, verbose_name='error'),
        ),
        migrations.AddField(
            model_name='matchingrun',
            name='finished_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='finished at'),
        ),
        migrations.AddField(
            model_name='matchingrun',
            name='phase',
            field=models.CharField(blank=True, choices=[('', 'Waiting'), ('reading', 'Reading the applications'), ('solving', 'Solving'), ('storing', 'Storing the result')], default='', max_length=20, verbose_name='phase'),
        ),
        migrations.AddField(
            model_name='matchingrun',
            name='requested_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='requested at'),
        ),
        migrations.AddField(
            model_name='matchingrun',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='started at'),
        ),
        # Runs already stored are done; new runs start queued.
        migrations.AddField(
            model_name='matchingrun',
            name='state',
            field=models.CharField(choices=[('queued', 'Waiting for a worker'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='done', max_length=20, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='matchingrun',
            name='state',
            field=models.CharField(choices=[('queued', 'Waiting for a worker'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=20, verbose_name='state'),
        ),
        migrations.RunPython(_requested_when_run, migrations.RunPython.noop),
        migrations.AddField(
            model_name='matchingrun',
            name='time_limit',
            field=models.FloatField(default=0, verbose_name='time limit (seconds)'),
        ),
        migrations.AlterField(
            model_name='matchingrun',
            name='solver',
            field=models.CharField(blank=True, max_length=40, verbose_name='solver'),
        ),
        migrations.AlterField(
            model_name='matchingrun',
            name='status',
            field=models.CharField(blank=True, max_length=20, verbose_name='status'),
        ),
        migrations.AddConstraint(
            model_name='matchingrun',
            constraint=models.UniqueConstraint(condition=models.Q(('state__in', ['queued', 'running'])), fields=('round',), name='childcare_one_active_run_per_round'),
        ),
    ]
