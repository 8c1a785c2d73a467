"""The names people read for the schedule engine's series codes (取組23): one list for the
guardian's plan, the reminders and the staff coverage figures, so that a vaccine is called
the same everywhere."""

from django.utils.translation import gettext_lazy

SERIES_NAMES = {
    "hepb": gettext_lazy("Hepatitis B"),
    "rota": gettext_lazy("Rotavirus"),
    "dpt_ipv_hib": gettext_lazy("5-in-1 (DPT-IPV-Hib)"),
    "dpt_ipv": gettext_lazy("4-in-1 (DPT-IPV)"),
    "hib": gettext_lazy("Hib"),
    "pcv": gettext_lazy("Pneumococcal conjugate (PCV)"),
    "bcg": gettext_lazy("BCG (tuberculosis)"),
    "mr1": gettext_lazy("Measles-rubella (MR), stage 1"),
    "mr2": gettext_lazy("Measles-rubella (MR), stage 2"),
    "varicella": gettext_lazy("Chickenpox (varicella)"),
    "je": gettext_lazy("Japanese encephalitis"),
    "dt": gettext_lazy("2-in-1 (DT), stage 2"),
    "hpv": gettext_lazy("HPV (cervical cancer prevention)"),
}


def series_name(code: str) -> str:
    return str(SERIES_NAMES.get(code, code))
