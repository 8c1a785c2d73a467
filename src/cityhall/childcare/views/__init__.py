"""Pages of childcare. Nursery admission (取組7), staff: rounds, a round with its imports, run
and placements, and one child's application with the explanation and the override.
Immunisation (取組23): the guardian's children and personal plan (`children`) and the staff
read of a child's record (`staff_children`). Thin: they parse, check access, call one service
and render."""

from .applications import application_page, placement_override
from .rounds import round_confirm, round_import, round_list, round_page, round_run, template_csv

__all__ = ["application_page", "placement_override", "round_confirm", "round_import",
           "round_list", "round_page", "round_run", "template_csv"]

# -- Immunisation records and the personal plan (取組23, imm-parents) --
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
from .staff_children import staff_child, staff_dose_new

__all__ += ["child_delete", "child_edit", "child_list", "child_new", "child_page",
            "child_print", "dose_new", "dose_remove", "plan_reschedule", "staff_child",
            "staff_dose_new"]
