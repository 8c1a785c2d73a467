"""The names people read for the schedule engine's series codes (取組23): the reminders and
the staff coverage figures show them. The vaccine names are the models' own (the same
msgids), so one translation serves both."""

from django.utils.translation import gettext_lazy as _

from .models import Vaccine

SERIES_NAMES = {
    "hepb": Vaccine.HEPB.label,
    "rota": Vaccine.ROTA.label,
    "dpt_ipv_hib": Vaccine.DPT_IPV_HIB.label,
    "dpt_ipv": Vaccine.DPT_IPV.label,
    "hib": Vaccine.HIB.label,
    "pcv": Vaccine.PCV.label,
    "bcg": Vaccine.BCG.label,
    "mr1": _("Measles-rubella, 1st period (MR 1期)"),
    "mr2": _("Measles-rubella, 2nd period (MR 2期)"),
    "varicella": Vaccine.VARICELLA.label,
    "je": Vaccine.JE.label,
    "dt": Vaccine.DT.label,
    "hpv": Vaccine.HPV.label,
}


def series_name(code: str) -> str:
    return str(SERIES_NAMES.get(code, code))
