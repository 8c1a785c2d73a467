"""Routine immunisation schedule (定期予防接種, 取組23): a pure-Python rule engine with no Django
in it. `dates.py` is the legal date arithmetic, `rules.py` the rules with their sources,
`series.py` each series' next-dose logic, `engine.py` the plan (`schedule`, `reschedule`).
The regression cases in `cases/` name a rule and its source each (docs/childcare.md)."""

from .engine import ChildRecord, Plan, PlanWarning, SeriesPlan, reschedule, schedule

__all__ = ["ChildRecord", "Plan", "PlanWarning", "SeriesPlan", "reschedule", "schedule"]
