"""Who may see and handle which opinion (広聴, 取組11), and the one door to an opinion.

The 広聴担当 (role `feedback_officer`, permission `feedback.view_all_opinions`) reads and
routes every opinion; other staff with `feedback.view_opinion` read only the opinions routed to
their own department (`StaffProfile.department`). `access_opinion` is the only way staff fetch
an opinion: it checks the scope, writes `opinion.read` (or `opinion.read_denied`) to the audit
log, and returns it.
"""

from django.db import transaction

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can, is_staff_member

from .models import Opinion


def staff_department_id(user):
    profile = getattr(user, "staff_profile", None)
    return profile.department_id if profile else None


def sees_all_opinions(user) -> bool:
    return can(user, "feedback.view_all_opinions")


def opinions_visible_to(user):
    """The opinions a staff member may list (reading one still goes through the door)."""
    queryset = Opinion.objects.select_related("topic", "department")
    if sees_all_opinions(user):
        return queryset
    if not can(user, "feedback.view_opinion") or staff_department_id(user) is None:
        return queryset.none()
    return queryset.filter(department_id=staff_department_id(user))


def in_scope(user, opinion: Opinion) -> bool:
    if sees_all_opinions(user):
        return True
    department_id = staff_department_id(user)
    return (can(user, "feedback.view_opinion") and department_id is not None
            and opinion.department_id == department_id)


def may(user, permission: str, opinion: Opinion) -> bool:
    """A permission on one opinion: held, and the opinion is in the user's scope."""
    return can(user, permission) and in_scope(user, opinion)


def access_opinion(user, opinion_id, *, purpose: str) -> Opinion:
    """Return the opinion if `user` may read it, recording every staff read (and every
    refused one) with the purpose given. Residents read their own through `my_opinions`."""
    try:
        opinion = Opinion.objects.select_related("topic", "department", "sender").get(
            pk=int(opinion_id))
    except (Opinion.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None
    if not in_scope(user, opinion):
        if is_staff_member(user):
            with transaction.atomic():
                audit_record(actor=user, action="opinion.read_denied", target=opinion,
                             purpose=purpose)
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="opinion.read", target=opinion, purpose=purpose,
                     details={"personal_data": opinion.has_personal_data})
    return opinion
