"""Who may read nursery applications (取組7), and the one door to an application.

Children's data is personal data. Decision on scoping: the selection (利用調整) is done centrally
by 保育課, so the role `nursery_admissions_officer` holds `childcare.view_all_applications`
and reads every application. Any other staff role given `childcare.view_application` (e.g.
the counter clerks of a branch office who take applications at the 窓口, if a municipality
grants it) reads only the applications of households whose address belongs to their own
branch office (`Household.branch_office`); a household without a branch office is then seen
by 保育課 only. `access_application` is the only way staff fetch an application: it checks
the scope, writes `childcare.application.read` (or `..._denied`) to the audit log and returns
it. A resident reads their own online application without a staff audit event.
"""

from django.db import transaction

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can, is_staff_member, staff_branch_office_id

from .models import Application

VIEW = "childcare.view_application"
VIEW_ALL = "childcare.view_all_applications"


def sees_all_applications(user) -> bool:
    return can(user, VIEW_ALL)


def in_scope(user, application: Application) -> bool:
    if sees_all_applications(user):
        return True
    branch_office_id = application.household.branch_office_id
    return (can(user, VIEW) and branch_office_id is not None
            and branch_office_id == staff_branch_office_id(user))


def applications_visible_to(user, round_=None):
    """The applications a staff member may list (reading one still goes through the door)."""
    queryset = Application.objects.select_related("household", "round")
    if round_ is not None:
        queryset = queryset.filter(round=round_)
    if sees_all_applications(user):
        return queryset
    if not can(user, VIEW) or staff_branch_office_id(user) is None:
        return queryset.none()
    return queryset.filter(household__branch_office_id=staff_branch_office_id(user))


def access_application(user, application_id, *, purpose: str) -> Application:
    """Return the application if `user` may read it, recording every staff read (and every
    refused one) with the purpose given."""
    try:
        application = Application.objects.select_related(
            "household", "round", "current_nursery__facility", "resident").get(
            pk=int(application_id))
    except (Application.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None
    own = (user is not None and user.is_authenticated and application.resident is not None
           and application.resident.user_id == user.pk)
    if own:
        return application
    if not in_scope(user, application):
        if is_staff_member(user):
            with transaction.atomic():
                audit_record(actor=user, action="childcare.application.read_denied",
                             target=application, purpose=purpose)
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="childcare.application.read", target=application,
                     purpose=purpose, details={"round": application.round_id})
    return application


# -- Immunisation records (取組23) -------------------------------------------------------------
# Same decision as for applications: the health centre's role (`immunisation_officer`) holds
# `childcare.view_all_children`; another staff role given `childcare.view_childprofile` reads
# only the children whose address belongs to their own branch office.

VIEW_CHILD = "childcare.view_childprofile"
VIEW_ALL_CHILDREN = "childcare.view_all_children"


def child_in_scope(user, child) -> bool:
    if can(user, VIEW_ALL_CHILDREN):
        return True
    return (can(user, VIEW_CHILD) and child.branch_office_id is not None
            and child.branch_office_id == staff_branch_office_id(user))


def is_guardian_of(user, child) -> bool:
    return (user is not None and user.is_authenticated
            and child.guardian.user_id == user.pk)


def access_child(user, child_id, *, purpose: str):
    """Return the child's record if `user` is its guardian or a staff member in scope. Every
    staff read (and every refused one) is audited with the purpose; a guardian reading their
    own child is not. Anyone else gets "not found", so ids do not reveal that a child exists."""
    from .models import ChildProfile

    try:
        child = ChildProfile.objects.select_related("guardian", "branch_office").get(
            pk=int(child_id))
    except (ChildProfile.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None
    if is_guardian_of(user, child):
        return child
    if not is_staff_member(user):
        raise NotFoundError()
    if not child_in_scope(user, child):
        with transaction.atomic():
            audit_record(actor=user, action="childcare.child.read_denied", target=child,
                         purpose=purpose)
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="childcare.child.read", target=child, purpose=purpose)
    return child


# -- The guardian's own pages (取組23, imm-parents) ---------------------------------------------

def own_child(user, child_id):
    """The child if `user` is its guardian, else "not found" for everyone (staff included:
    staff read a child through `access_child`, on the staff pages, with a purpose). A
    guardian reading their own child is not audited."""
    from .models import ChildProfile

    if user is None or not user.is_authenticated:
        raise NotFoundError()
    try:
        return ChildProfile.objects.select_related("guardian__town", "branch_office").get(
            pk=int(child_id), guardian__user_id=user.pk)
    except (ChildProfile.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None
