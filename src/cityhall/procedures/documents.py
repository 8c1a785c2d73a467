"""Printed documents of the procedures engine: the receipt of an online application
(電子申請の受付票, 取組1) and the write-less counter's pre-filled forms (書かない窓口, 取組3).
Both are rendered from templates by `core.pdf`."""

from django.utils import timezone
from django.utils.translation import get_language

from cityhall.core.pdf import render_pdf
from cityhall.core.selectors import current_municipality

from .forms_schema import answer_rows


def _municipality_name() -> str:
    municipality = current_municipality()
    if municipality is None:
        return ""
    language = (get_language() or "ja").split("-")[0]
    return municipality.name_en if language != "ja" and municipality.name_en else \
        municipality.name


def receipt_pdf(application) -> bytes:
    attachments = list(application.attachments.all())
    rows = answer_rows(application.form, {**application.data, **application.prefilled})
    names = {str(attachment.id): attachment.original_name for attachment in attachments}
    rows = [(label, names.get(value, value) if isinstance(value, str) else value)
            for label, value in rows]
    return render_pdf("procedures/pdf/receipt.html", {
        "application": application, "rows": rows, "attachments": attachments,
        "issued_at": timezone.now(), "municipality_name": _municipality_name()})


def counter_forms_pdf(*, visit, forms) -> bytes:
    return render_pdf("procedures/pdf/counter_forms.html", {
        "visit": visit, "forms": forms, "issued_at": timezone.now(),
        "municipality_name": _municipality_name()})
