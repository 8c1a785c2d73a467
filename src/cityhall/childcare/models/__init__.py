"""The data of the childcare app: configuration (`config`) and admission rounds (`rounds`)
of nursery admission (取組7), and the immunisation records (`immunisation`, 取組23)."""

from .config import Nursery, PointsItem, PointsTable, TieBreakRule
from .immunisation import ChildProfile, DoseAppointment, DoseRecord, Product, Vaccine
from .rounds import (
    AdmissionRound,
    Application,
    ApplicationPoints,
    ApplicationWish,
    Household,
    MatchingRun,
    Placement,
    RoundCapacity,
    RoundSeatPool,
)

__all__ = [
    "AdmissionRound", "Application", "ApplicationPoints", "ApplicationWish", "ChildProfile",
    "DoseAppointment", "DoseRecord", "Household", "MatchingRun", "Nursery", "Placement",
    "PointsItem", "PointsTable", "Product", "RoundCapacity", "RoundSeatPool", "TieBreakRule",
    "Vaccine",
]

# -- Publication and result letters --
from .letters import LetterBatch, ResultNotice

__all__ += ["LetterBatch", "ResultNotice"]
