"""Every write of the procedures engine (取組1, 2, 3): the catalogue with its change history,
life-event rules validated on save, residents' saved checklists, online applications with
their files, review and fees, and the visits at the write-less counter.

The services are grouped by subject: `catalogue` (procedures, life events and rules, the
catalogue import, saved checklists), `applications` (forms, drafts, submission, review and
the status listeners), `attachments` (files of an application), `fees` (recording and paying
an application's fee) and `counter` (the write-less counter); callers import them from here.
"""

from .applications import (
    EDITABLE_STATUSES,
    RESIDENT_TRANSITIONS,
    STAFF_TRANSITIONS,
    application_assign,
    application_comment,
    application_form_save,
    application_save_draft,
    application_start,
    application_submit,
    application_transition,
    notify_applicant_of_change,
    register_status_listener,
)
from .attachments import attachment_add, attachment_read, attachment_remove
from .catalogue import (
    TRACKED_FIELDS,
    catalogue_import,
    checklist_delete,
    checklist_save,
    event_rule_save,
    life_event_save,
    procedure_save,
)
from .counter import (
    FACT_MAX_LENGTH,
    counter_visit_answer,
    counter_visit_choose,
    counter_visit_close,
    counter_visit_print,
    counter_visit_set_facts,
    counter_visit_start,
    visit_procedures,
)
from .fees import (
    application_fee_pay_online,
    application_payment_record,
    application_payment_requested,
)

__all__ = [
    "EDITABLE_STATUSES", "FACT_MAX_LENGTH", "RESIDENT_TRANSITIONS", "STAFF_TRANSITIONS",
    "TRACKED_FIELDS", "application_assign", "application_comment", "application_fee_pay_online",
    "application_form_save", "application_payment_record", "application_payment_requested",
    "application_save_draft", "application_start", "application_submit",
    "application_transition", "attachment_add", "attachment_read", "attachment_remove",
    "catalogue_import", "checklist_delete", "checklist_save", "counter_visit_answer",
    "counter_visit_choose", "counter_visit_close", "counter_visit_print",
    "counter_visit_set_facts", "counter_visit_start", "event_rule_save", "life_event_save",
    "notify_applicant_of_change", "procedure_save", "register_status_listener",
    "visit_procedures",
]
