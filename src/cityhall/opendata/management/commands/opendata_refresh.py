"""`manage.py opendata_refresh [--force]`: publish the live datasets now (取組27, 30).

Creates the datasets of registered providers that have none yet and regenerates those whose
source changed; `--force` regenerates every one (a file whose content is the same keeps its
last-modified time). The periodic task does the same every five minutes."""

from django.core.management.base import BaseCommand

from cityhall.opendata.providers import live_publish


class Command(BaseCommand):
    help = "Create and regenerate the live open datasets (only those that changed)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Regenerate every live dataset, changed or not.")

    def handle(self, *args, force=False, **options):
        self.stdout.write(self.style.SUCCESS(live_publish(force=force)))
