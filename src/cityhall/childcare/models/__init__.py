"""The data of the childcare app (取組7): configuration (`config`) and admission rounds
(`rounds`)."""

from .config import Nursery, PointsItem, PointsTable, TieBreakRule
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
    "AdmissionRound", "Application", "ApplicationPoints", "ApplicationWish", "Household",
    "MatchingRun", "Nursery", "Placement", "PointsItem", "PointsTable", "RoundCapacity",
    "RoundSeatPool", "TieBreakRule",
]
