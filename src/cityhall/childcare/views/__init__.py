"""Staff pages of nursery admission (取組7): rounds, a round with its imports, run and
placements, and one child's application with the explanation and the override. Thin: they
parse, check access, call one service and render."""

from .applications import application_page, placement_override
from .coverage import immunisation_coverage, immunisation_coverage_csv  # 取組23 coverage
from .rounds import round_confirm, round_import, round_list, round_page, round_run, template_csv

__all__ = ["application_page",
           "immunisation_coverage", "immunisation_coverage_csv",  # 取組23 coverage
           "placement_override", "round_confirm", "round_import",
           "round_list", "round_page", "round_run", "template_csv"]
