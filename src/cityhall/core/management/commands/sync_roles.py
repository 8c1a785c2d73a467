from django.core.management.base import BaseCommand

from cityhall.core.services import sync_roles


class Command(BaseCommand):
    help = "Create the staff role groups and give them exactly their listed permissions."

    def handle(self, *args, **options):
        groups = sync_roles()
        self.stdout.write(self.style.SUCCESS(f"{len(groups)} roles up to date."))
