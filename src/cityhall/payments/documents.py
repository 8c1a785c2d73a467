"""The receipt of a payment (領収書, 取組2), rendered by `core.pdf`."""

from django.utils import timezone
from django.utils.translation import get_language

from cityhall.core.pdf import render_pdf
from cityhall.core.selectors import current_municipality


def receipt_pdf(payment) -> bytes:
    municipality = current_municipality()
    english = (get_language() or "ja").split("-")[0] != "ja"
    name = "" if municipality is None else (
        municipality.name_en if english and municipality.name_en else municipality.name)
    payer = payment.payer_name
    profile = getattr(payment.payer, "resident_profile", None) if payment.payer else None
    if not payer and profile is not None:
        payer = profile.full_name
    return render_pdf("payments/pdf/receipt.html", {
        "payment": payment, "payer": payer, "municipality_name": name,
        "issued_at": timezone.now(),
        "refunds": payment.refunds.filter(status="completed")})
