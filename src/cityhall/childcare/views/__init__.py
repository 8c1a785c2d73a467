"""The pages of childcare. Staff: nursery admission rounds, a round with its imports, run and
placements, one child's application with the explanation and the overrides (取組7).
Residents: online applications (`apply`). Thin: they parse, check access, call one service
and render."""

from . import apply, online_staff
from .applications import application_page, household_override, placement_override
from .rounds import round_confirm, round_import, round_list, round_page, round_run, template_csv

__all__ = ["application_page", "apply", "household_override", "online_staff",
           "placement_override", "round_confirm", "round_import", "round_list", "round_page",
           "round_run", "template_csv"]
