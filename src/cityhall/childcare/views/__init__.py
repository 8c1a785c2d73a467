"""Staff pages of nursery admission (取組7): rounds, a round with its imports, run and
placements, and one child's application with the explanation and the override. Thin: they
parse, check access, call one service and render."""

from .applications import application_page, placement_override
from .rounds import round_confirm, round_import, round_list, round_page, round_run, template_csv

__all__ = ["application_page", "placement_override", "round_confirm", "round_import",
           "round_list", "round_page", "round_run", "template_csv"]

# -- Publishing the result and the result letters --
from .letters import (
    application_letter,
    letters_batch,
    letters_download,
    letters_request,
    my_application_letter,
    round_publish,
)

__all__ += ["application_letter", "letters_batch", "letters_download",
            "letters_request", "my_application_letter", "round_publish"]
