"""The data of the childcare app: configuration (`config`) and admission rounds (`rounds`)
of nursery admission (取組7) with the online applications' documents (`documents`) and the
published results (`letters`), and the immunisation records (`immunisation`, 取組23) with
their reminders and daily run (`reminders`) and the infant checkups (`checkups`)."""

# -- infant health checkups (取組23) --
from .checkups import CheckupKind

# -- nursery admission (取組7) and immunisation records (取組23) --
from .config import Nursery, PointsItem, PointsTable, TieBreakRule
from .documents import OnlineDocument  # online applications' documents (取組7)
from .immunisation import ChildProfile, DoseAppointment, DoseRecord, Product, Vaccine
from .letters import LetterBatch, ResultNotice
from .reminders import ImmunisationDailyRun, ImmunisationReminder
from .rounds import (
    SELECTED_STATUSES,  # online applications (取組7)
    AdmissionRound,
    Application,
    ApplicationPoints,
    ApplicationWish,
    Household,
    MatchingRun,
    OnlineStatus,  # online applications (取組7)
    Placement,
    RoundCapacity,
    RoundSeatPool,
)

__all__ = [
    "AdmissionRound", "Application", "ApplicationPoints", "ApplicationWish", "ChildProfile",
    "DoseAppointment", "DoseRecord", "Household",
    "ImmunisationDailyRun", "ImmunisationReminder",
    "MatchingRun", "Nursery", "Placement",
    "PointsItem", "PointsTable", "Product", "RoundCapacity", "RoundSeatPool", "TieBreakRule",
    "Vaccine",
]
__all__ += ["SELECTED_STATUSES", "OnlineDocument", "OnlineStatus"]

# -- infant health checkups (取組23) --
__all__ += ["CheckupKind"]

__all__ += ["LetterBatch", "ResultNotice"]  # publication and result letters (取組7)
