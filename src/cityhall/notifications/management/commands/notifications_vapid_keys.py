"""Print a new VAPID key pair for Web Push (取組12, 17): put them in the environment as
VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY (never in the repository). Changing the pair makes
every browser subscribe again, so generate it once per deployment."""

from django.core.management.base import BaseCommand

from cityhall.notifications.keys import vapid_key_pair


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push and print it as environment variables."

    def handle(self, *args, **options):
        private, public = vapid_key_pair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write("VAPID_SUBJECT=mailto:<the city's contact address>")
