"""Queries of the payments engine worth naming: the daily reconciliation (日次消込)."""

import csv
import datetime
import io
from dataclasses import dataclass

from django.utils import timezone

from .models import Payment, Refund


@dataclass(frozen=True)
class ReconciliationRow:
    kind: str  # "payment" or "refund"
    at: datetime.datetime
    reference: str
    department: str
    provider: str
    method: str
    purpose_label: str
    amount_yen: int  # negative for a refund
    provider_reference: str
    department_code: str = ""


def department_label(department) -> str:
    """A department's name as the reconciliation shows it: each branch office has its own
    区民課, so a branch office's department is named with its office."""
    if department is None:
        return ""
    office = department.branch_office
    if office is not None and not department.name.startswith(office.name):
        return f"{office.name} {department.name}"
    return department.name


def _day_bounds(day: datetime.date):
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def reconciliation(*, day: datetime.date, department_code: str | None = None,
                   provider: str | None = None) -> list[ReconciliationRow]:
    """Money in (payments captured) and out (refunds paid back) on one day in Japan, oldest
    first, for one department and provider or all."""
    start, end = _day_bounds(day)
    payments = Payment.objects.filter(captured_at__gte=start, captured_at__lt=end) \
        .select_related("department__branch_office")
    refunds = Refund.objects.filter(status="completed", completed_at__gte=start,
                                    completed_at__lt=end).select_related(
        "payment__department__branch_office")
    if department_code:
        payments = payments.filter(department__code=department_code)
        refunds = refunds.filter(payment__department__code=department_code)
    if provider:
        payments = payments.filter(provider=provider)
        refunds = refunds.filter(payment__provider=provider)
    rows = [ReconciliationRow("payment", payment.captured_at, payment.reference,
                              department_label(payment.department),
                              payment.provider, payment.method, payment.purpose_label,
                              payment.amount_yen, payment.provider_reference,
                              payment.department.code if payment.department else "")
            for payment in payments]
    rows += [ReconciliationRow("refund", refund.completed_at, refund.payment.reference,
                               department_label(refund.payment.department),
                               refund.payment.provider, refund.payment.method,
                               refund.payment.purpose_label, -refund.amount_yen,
                               refund.provider_reference,
                               refund.payment.department.code if refund.payment.department
                               else "")
             for refund in refunds]
    return sorted(rows, key=lambda row: (row.at, row.reference))


def totals(rows) -> list[tuple[str, str, int, int, int]]:
    """(department, provider, payments, refunds, net yen) for each pair that has rows.
    Departments are told apart by their code, not their name."""
    sums: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        entry = sums.setdefault((row.department, row.department_code, row.provider), [0, 0, 0])
        entry[0 if row.kind == "payment" else 1] += 1
        entry[2] += row.amount_yen
    return [(department, provider, *values)
            for (department, _code, provider), values in sorted(sums.items())]


# The CSV keeps one fixed Japanese layout whatever the page language: finance systems and
# Excel macros import it by column name.
CSV_HEADER = ["日時", "区分", "領収番号", "所管課", "決済手段", "支払方法", "内容", "金額（円）",
              "決済事業者の参照番号"]
KIND_JA = {"payment": "入金", "refund": "返金"}
ENCODINGS = {"utf-8": "utf-8-sig", "shift_jis": "cp932"}


def reconciliation_csv(rows, *, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"),
                         KIND_JA[row.kind], row.reference, row.department, row.provider,
                         row.method, row.purpose_label, row.amount_yen,
                         row.provider_reference])
    return buffer.getvalue().encode(ENCODINGS[encoding], errors="replace")
