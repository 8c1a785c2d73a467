"""Issue an Open311 API key to an outside system (取組13); prints the key once."""

from django.core.management.base import BaseCommand, CommandError

from cityhall.core.errors import CityhallError
from cityhall.reports.services.open311 import open311_client_issue


class Command(BaseCommand):
    help = ("Issue an Open311 GeoReport v2 API key (for POSTing street-problem reports). "
            "The key is printed only now; only its hash is stored.")

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The system the key is for")
        parser.add_argument("--email", default="", help="Who to contact about it")

    def handle(self, *args, name, email, **options):
        try:
            client, raw_key = open311_client_issue(name=name, contact_email=email, actor=None)
        except CityhallError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"Open311 key issued to {client.name} (prefix {client.key_prefix}). "
                          "It is shown only now:")
        self.stdout.write(raw_key)
