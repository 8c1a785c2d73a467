"""Load Minato City's real reference data only: `manage.py load_minato_reference`.

For production: the municipality, branch offices, departments, towns, the GSI shelters and
evacuation sites, and the staff role groups; no demo people. Safe to run again.
"""

from django.core.management.base import BaseCommand

from cityhall.core.management.commands.load_minato_demo import load_minato_reference


class Command(BaseCommand):
    help = "Load Minato City's reference data and role groups, without demo people."

    def handle(self, *args, **options):
        municipality, count = load_minato_reference()
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {municipality.name}: {count} shelters and evacuation sites; roles synced."))
