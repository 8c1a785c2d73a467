"""Pages of the procedures engine (取組1, 3): the catalogue, a procedure, the life-event
navigator and the resident's saved checklists, the resident's online applications, the staff
review queue and the write-less counter. Views parse, check access, call a service, render.

The pages are grouped by subject: `catalogue` (public pages and saved checklists),
`applications` (the resident's own applications), `review` (staff) and `counter` (staff at
the write-less counter); `urls.py` and callers use them from here.
"""

from .applications import (
    application_attachment,
    application_confirm,
    application_detail,
    application_edit,
    application_pay,
    application_receipt,
    application_start,
    my_applications,
)
from .catalogue import (
    checklist_save,
    my_checklist,
    my_checklist_delete,
    my_checklists,
    navigator,
    navigator_index,
    procedure_detail,
    procedure_list,
)
from .counter import counter_forms, counter_forms_pdf, counter_home, counter_start, counter_visit
from .review import (
    review_attachment,
    review_detail,
    review_export,
    review_payment,
    review_queue,
    review_receipt,
)

__all__ = [
    "application_attachment", "application_confirm", "application_detail", "application_edit",
    "application_pay", "application_receipt", "application_start", "checklist_save",
    "counter_forms", "counter_forms_pdf", "counter_home", "counter_start", "counter_visit",
    "my_applications", "my_checklist", "my_checklist_delete", "my_checklists", "navigator",
    "navigator_index", "procedure_detail", "procedure_list", "review_attachment",
    "review_detail", "review_export", "review_payment", "review_queue", "review_receipt",
]
