"""Check the audit log's hash chain: `manage.py audit_verify` exits 1 at the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from cityhall.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log and report the first broken link."

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event #{report.broken_at}: {report.reason} "
                f"({report.checked} events verified before it).")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events."))
