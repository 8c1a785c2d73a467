"""A guardian's pages of their child's infant health checkups (乳幼児健康診査, 取組23
母子手帳アプリ): the checkups with the child's period for each, the child's bookings, the
sessions that can be booked now, and booking one. Cancelling and the booking itself live in
the bookings engine's pages (`bookings:booking_detail`, `bookings:booking_cancel`).

Only the guardian sees these pages: anyone else (another resident, staff) gets "not found",
so the id in the URL does not reveal that a child exists. The URL holds ids only, never the
child's name. Pages work without JavaScript. Thin: parse, check access, call one service,
render.
"""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cityhall.core.errors import CityhallError, NotFoundError
from cityhall.core.permissions import is_staff_member

from ..models import CheckupKind
from ..permissions import access_child
from ..services import checkups

PURPOSE = "infant checkups (guardian)"


def _own_child(user, child_id):
    """The child if `user` is its guardian; "not found" for anyone else, staff included (the
    health centre reads a child through the staff screens, audited)."""
    if is_staff_member(user):
        raise NotFoundError()
    return access_child(user, child_id, purpose=PURPOSE)


@login_required
@never_cache
def child_checkups(request, child_id):
    child = _own_child(request.user, child_id)
    now = timezone.now()
    entries = checkups.child_checkups(child, now=now)
    current = [entry for entry in entries if entry.state != "passed"
               or (entry.booking is not None and entry.booking.slot.ends_at > now)]
    past = [entry for entry in entries if entry not in current]
    return render(request, "childcare/checkups/child.html", {
        "child": child, "current": current, "past": past, "now": now,
        "today": timezone.localdate(now),
        "age": checkups.age_label(child.date_of_birth, timezone.localdate(now))})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def child_checkup_book(request, child_id, code, slot_id):
    """GET: the session and the child's period, to confirm. POST: book it."""
    child = _own_child(request.user, child_id)
    kind = CheckupKind.objects.filter(code=code, is_active=True,
                                      delivery=CheckupKind.Delivery.GROUP).first()
    if kind is None or not apps.is_installed("cityhall.bookings"):
        raise NotFoundError()
    from cityhall.bookings.models import Slot

    slot = Slot.objects.select_related("resource__facility").filter(
        pk=slot_id, resource__code=kind.resource_code).first()
    if slot is None:
        raise NotFoundError()
    starts_on, ends_on = kind.window(child.date_of_birth)
    day = timezone.localdate(slot.starts_at)
    error, status = "", 200
    if request.method == "POST":
        try:
            booking = checkups.checkup_book(child=child, kind=kind, slot=slot,
                                            actor=request.user)
        except CityhallError as refused:
            error, status = refused.message, 400
        else:
            messages.success(request, _("The checkup is booked. Your booking number is "
                                        "%(reference)s; you are reminded before the day.")
                             % {"reference": booking.reference})
            return redirect("childcare:child_checkups", child_id=child.pk)
    return render(request, "childcare/checkups/book.html", {
        "child": child, "kind": kind, "slot": slot, "resource": slot.resource,
        "starts_on": starts_on, "ends_on": ends_on, "in_period": starts_on <= day <= ends_on,
        "age": checkups.age_label(child.date_of_birth, day), "error": error}, status=status)
