"""Load Minato's procedure catalogue, life events and navigator rules (idempotent)."""

from django.core.management.base import BaseCommand

from cityhall.procedures.apps import load_minato_catalogue


class Command(BaseCommand):
    help = "Load the procedure catalogue and life-event rules of Minato City (idempotent)."

    def handle(self, *args, **options):
        counts = load_minato_catalogue()
        self.stdout.write(self.style.SUCCESS(
            "Procedures: {procedures}, life events: {life_events}, rules: {rules}, "
            "online forms: {forms}.".format(
                **counts)))
