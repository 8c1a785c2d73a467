"""Run the immunisation daily pass now (取組23): reminders and the day's coverage figures.
The workers do it every day by themselves (core.periodic); this is for operators (a first run
after installing, or after restoring a backup). Safe to run any number of times."""

from django.core.management.base import BaseCommand

from cityhall.childcare.services.reminders import immunisation_daily_run


class Command(BaseCommand):
    help = "Run the immunisation daily pass (reminders and coverage) now; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Run before CHILDCARE_REMINDER_HOUR too.")

    def handle(self, *args, force=False, **options):
        result = immunisation_daily_run(force=force)
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in result.items()))
