"""The one door to residents' applications for staff (DESIGN.md, "one door to sensitive
records"). A reviewer sees the applications of procedures run by their own department,
unless a role grants `procedures.review_all_departments`; every opened application is
recorded in the audit log."""

from django.db import transaction

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can

from .models import Application


def staff_department_id(user):
    profile = getattr(user, "staff_profile", None)
    return profile.department_id if profile else None


def may_review(user, application: Application) -> bool:
    if not can(user, "procedures.view_application"):
        return False
    if user.has_perm("procedures.review_all_departments"):
        return True
    department = staff_department_id(user)
    return department is not None and application.procedure.department_id == department


def applications_reviewable_by(user):
    """Submitted applications (never drafts) in the staff member's scope; the list shows
    reference numbers and statuses, not the applicants' answers."""
    queryset = Application.objects.exclude(status=Application.Status.DRAFT).select_related(
        "procedure", "assignee")
    if not can(user, "procedures.view_application"):
        return queryset.none()
    if user.has_perm("procedures.review_all_departments"):
        return queryset
    return queryset.filter(procedure__department_id=staff_department_id(user))


def access_application(user, application_id, *, purpose: str = "review") -> Application:
    try:
        application = Application.objects.select_related(
            "procedure", "form", "applicant", "assignee").get(pk=application_id)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if application.status == Application.Status.DRAFT or not may_review(user, application):
        if can(user, "procedures.view_application"):
            audit_record(actor=user, action="application.read_denied", target=application,
                         purpose=purpose)
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="application.read", target=application,
                     purpose=purpose)
    return application


def counter_visits_visible_to(user):
    """The counter visits a clerk may open: those of their own branch office."""
    from cityhall.core.permissions import staff_branch_office_id

    from .models import CounterSession

    if not can(user, "procedures.view_countersession"):
        return CounterSession.objects.none()
    return CounterSession.objects.filter(branch_office_id=staff_branch_office_id(user))


def access_counter_visit(user, visit_id):
    """A counter visit holds a resident's facts: opened only by staff of the branch office
    where it happened, and every opening is audited."""
    from .models import CounterSession

    try:
        visit = CounterSession.objects.select_related(
            "life_event", "resident__town", "staff").get(pk=visit_id)
    except (CounterSession.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if not counter_visits_visible_to(user).filter(pk=visit.pk).exists():
        if can(user, "procedures.view_countersession"):
            audit_record(actor=user, action="counter_visit.read_denied", target=visit)
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="counter_visit.read", target=visit,
                     purpose="write-less counter")
    return visit
