from django.db import migrations


class Migration(migrations.Migration):
    """The disaster app's first migration; its models come in the subjects' migrations."""

    initial = True
    dependencies = [("core", "0003_periodictaskrun")]
    operations = []
