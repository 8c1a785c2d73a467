"""The one write of the immunisation coverage figures (取組23): recording that staff
downloaded them. The figures are aggregates with small cells hidden, but a download leaves
the system, so it is audited like every export."""

from django.db import transaction

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError
from cityhall.core.permissions import can

VIEW_COVERAGE = "childcare.view_coverage"


def coverage_export_record(*, actor, cohort: int, series: str, rows: int, encoding: str,
                           scope: str) -> None:
    if not can(actor, VIEW_COVERAGE):
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=actor, action="childcare.coverage.export",
                     target_type="childcare.coverage",
                     details={"cohort": cohort, "series": series or "all", "rows": rows,
                              "encoding": encoding, "scope": scope})
