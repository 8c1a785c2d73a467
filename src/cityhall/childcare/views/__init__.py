"""Pages of childcare. Nursery admission (取組7), staff: rounds, a round with its imports, run
and placements, one child's application with the explanation and the overrides; residents:
online applications (`apply`, `online_staff` for the staff check). Immunisation (取組23): the
guardian's children and personal plan (`children`) and the staff read of a child's record
(`staff_children`), the coverage figures (`coverage`); the result and letters (`letters`).
Thin: they parse, check access, call one service and render."""

from . import apply, online_staff
from .applications import application_page, household_override, placement_override
from .children import (
    child_delete,
    child_edit,
    child_list,
    child_new,
    child_page,
    child_print,
    dose_new,
    dose_remove,
    plan_reschedule,
)
from .coverage import immunisation_coverage, immunisation_coverage_csv
from .letters import (
    application_letter,
    letters_batch,
    letters_download,
    letters_request,
    my_application_letter,
    round_publish,
)
from .rounds import round_confirm, round_import, round_list, round_page, round_run, template_csv
from .staff_children import staff_child, staff_dose_new

__all__ = ["application_letter", "application_page", "apply", "child_delete", "child_edit",
           "child_list", "child_new", "child_page", "child_print", "dose_new", "dose_remove",
           "household_override", "immunisation_coverage", "immunisation_coverage_csv",
           "letters_batch", "letters_download", "letters_request", "my_application_letter",
           "online_staff", "placement_override", "plan_reschedule", "round_confirm",
           "round_import", "round_list", "round_page", "round_publish", "round_run",
           "staff_child", "staff_dose_new", "template_csv"]
