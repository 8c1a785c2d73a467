"""Register a department's business system: prints its API token once."""

from django.core.management.base import BaseCommand, CommandError

from cityhall.core.models import Department, User
from cityhall.procedures.integration import integration_client_create


class Command(BaseCommand):
    help = "Register a business system (API token + optional webhook URL) for a department."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--department", required=True, help="Department code")
        parser.add_argument("--acting-user", required=True,
                            help="Email of the staff account (application_reviewer role) the "
                                 "system acts as")
        parser.add_argument("--webhook-url", default="")

    def handle(self, *args, name, department, acting_user, webhook_url, **options):
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise CommandError(f"No department with code {department!r}.")
        user = User.objects.filter(email=acting_user.lower(), is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account {acting_user!r}.")
        client, token = integration_client_create(name=name, department=dept, acting_user=user,
                                                  webhook_url=webhook_url, actor=None)
        self.stdout.write(f"Client {client.name} registered. Its token (shown only now):")
        self.stdout.write(token)
        if webhook_url:
            self.stdout.write(f"Webhook secret (for verifying signatures): "
                              f"{client.webhook_secret}")
