"""Staff pages of the bookings engine (the back office): the day calendar of a resource, a
slot with who booked it, booking on behalf of a resident at the counter or on the phone, a
booking with its history, check-in from the QR code on the resident's booking, closures and
the CSV export. Views parse, check access, call one service and render; every read of who
booked goes through `bookings.permissions` (audited) and every write through `services`."""

import csv
import datetime
import io

from django.apps import apps
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError, NotFoundError, PermissionDeniedError
from cityhall.core.permissions import (
    access_resident_list,
    access_resident_profile,
    can,
    staff_permission_required,
)

from .. import selectors, services, subjects
from ..models import Booking, Resource, Slot
from ..permissions import access_booking, access_booking_by_token, access_slot_bookings
from ..qr import qr_svg
from ..staff_forms import (
    ENCODINGS,
    ClosureForm,
    DayForm,
    ExportForm,
    FeeTakenForm,
    ResidentSearchForm,
    SlotCloseForm,
    StaffBookingForm,
    StaffCancelForm,
)

# Fees taken by staff at the facility (or a sticker seen) rather than online.
FEE_AT_FACILITY = (Booking.PaymentMethod.AT_FACILITY, Booking.PaymentMethod.STICKER)


# --- helpers ----------------------------------------------------------------------------------

def _resource(code) -> Resource:
    resource = Resource.objects.select_related("facility", "area").filter(code=code).first()
    if resource is None:
        raise NotFoundError()
    return resource


def _slot(slot_id) -> Slot:
    slot = Slot.objects.select_related("resource__facility", "resource__area").filter(
        pk=slot_id).first()
    if slot is None:
        raise NotFoundError()
    return slot


def _english() -> bool:
    return (get_language() or "ja").split("-")[0] != "ja"


def holder_name(booking: Booking) -> tuple[str, str]:
    """(name, kana) of the person a booking is for; the e-mail address of someone without
    a resident profile."""
    profile = getattr(booking.user, "resident_profile", None)
    if profile is None:
        return booking.user.email, ""
    return profile.full_name, profile.full_name_kana


def _towns(bookings) -> dict:
    from cityhall.core.models import Town

    ids = {booking.details.get("town_id") for booking in bookings
           if isinstance(booking.details, dict)} - {None}
    return {town.pk: town.label for town in Town.objects.filter(pk__in=ids)} if ids else {}


def details_summary(booking: Booking, towns: dict, *, english: bool) -> str:
    """The items, the address town and the note of a booking, on one line."""
    details = booking.details if isinstance(booking.details, dict) else {}
    parts = []
    items = [f"{(line.get('name_en') if english else '') or line.get('name', '')}"
             f"×{line.get('pieces', 0)}" for line in details.get("items", [])]
    if items:
        parts.append("、".join(items))
    if details.get("town_id") in towns:
        parts.append(towns[details["town_id"]])
    if details.get("note"):
        parts.append(str(details["note"]))
    return " / ".join(parts)


def _booking_rows(bookings, *, viewer):
    towns, english = _towns(bookings), _english()
    booked_for = subjects.describe(bookings, viewer=viewer)
    return [{"booking": booking, "name": holder_name(booking)[0],
             "kana": holder_name(booking)[1], "booked_for": booked_for.get(booking.pk, ""),
             "summary": details_summary(booking, towns, english=english)}
            for booking in bookings]


def _payments_by_reference(bookings) -> dict:
    """The payments engine's payment of each booking's fee that was paid (where the refund
    is asked for), by booking number; empty where payments is not installed."""
    if not apps.is_installed("cityhall.payments") or not bookings:
        return {}
    from cityhall.payments.models import Payment

    purposes = {services.purpose_of(booking): booking.reference for booking in bookings}
    found = {}
    for payment in Payment.objects.filter(
            purpose__in=purposes, status__in=("captured", "partly_refunded", "refunded")) \
            .order_by("created_at"):
        found[purposes[payment.purpose]] = payment
    return found


def _form_error(form, error: CityhallError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _live_bookings_between(resource: Resource, start: datetime.date,
                           end: datetime.date) -> int:
    """How many live bookings a closure of these days would cancel."""
    zone = services.local_zone()
    return Booking.objects.filter(
        resource=resource, status__in=Booking.LIVE_STATUSES,
        slot__starts_at__gte=datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        slot__starts_at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                      datetime.time.min, tzinfo=zone),
    ).count()


# --- home and calendar ------------------------------------------------------------------------

@never_cache
@staff_permission_required("bookings.view_booking")
def staff_home(request):
    refunds = list(selectors.refunds_due())
    payments = _payments_by_reference(refunds) if can(request.user, "payments.view_payment") \
        else {}
    return render(request, "bookings/staff/home.html", {
        "resources": Resource.objects.select_related("facility", "area"),
        "refunds": [(booking, payments.get(booking.reference)) for booking in refunds],
        "today": timezone.localdate()})


def _day_summary(resource, day):
    slots = selectors.day_slots(resource, day)
    open_slots = [slot for slot in slots if not slot.is_closed]
    return {"day": day, "slots": len(slots), "closed": len(slots) - len(open_slots),
            "capacity": sum(slot.capacity for slot in open_slots),
            "booked": sum(slot.booked for slot in open_slots),
            "waiting": sum(slot.waiting for slot in slots)}


@never_cache
@staff_permission_required("bookings.view_booking")
def staff_calendar(request, code):
    resource = _resource(code)
    form = DayForm(request.GET if "day" in request.GET else None)
    context = {"resource": resource, "form": form,
               "may_add_closure": can(request.user, "bookings.add_closure"),
               "may_check_in": can(request.user, "bookings.check_in_booking")}
    if form.is_bound and not form.is_valid():
        return render(request, "bookings/staff/calendar.html", context, status=400)
    day = form.chosen_day()
    if not form.is_bound:
        context["form"] = DayForm(initial={"day": day})
    monday = day - datetime.timedelta(days=day.weekday())
    context.update({
        "day": day, "today": timezone.localdate(),
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "previous_week": day - datetime.timedelta(days=7),
        "next_week": day + datetime.timedelta(days=7),
        "slots": selectors.day_slots(resource, day),
        "week": [_day_summary(resource, monday + datetime.timedelta(days=offset))
                 for offset in range(7)],
        "export_to": day + datetime.timedelta(days=30)})
    return render(request, "bookings/staff/calendar.html", context)


@never_cache
@staff_permission_required("bookings.check_in_booking")
def staff_checkin_poster(request, code):
    """The code to print and post at the facility: a resident with a booking scans it with
    their phone to check themselves in."""
    from django.conf import settings

    resource = _resource(code)
    if not resource.checkin_required:
        raise NotFoundError()
    url = settings.PORTAL_URL + reverse("bookings:self_checkin",
                                        args=[resource.code, resource.checkin_secret])
    return render(request, "bookings/staff/checkin_poster.html", {
        "resource": resource, "url": url,
        "qr": qr_svg(url, scale=8, label=_("Self check-in code for %(name)s")
                     % {"name": resource.name_en if _english() else resource.name})})


# --- a slot -------------------------------------------------------------------------------------

def _render_slot(request, slot, *, close_form=None, status=200):
    bookings = access_slot_bookings(request.user, slot)
    rows = _booking_rows(bookings, viewer=request.user)
    return render(request, "bookings/staff/slot.html", {
        "slot": slot, "resource": slot.resource, "rows": rows,
        "any_booked_for": any(booking.subject for booking in bookings),
        "counts": {
            "booked": slot.booked,
            "waiting": sum(1 for b in bookings if b.status == Booking.Status.WAITLISTED),
            "checked_in": sum(1 for b in bookings if b.status == Booking.Status.CHECKED_IN)},
        "close_form": close_form or SlotCloseForm(),
        "may_manage": can(request.user, "bookings.manage_slots"),
        "may_book": can(request.user, "bookings.book_on_behalf")
        and slot.ends_at > timezone.now() and not slot.is_closed}, status=status)


@never_cache
@staff_permission_required("bookings.view_booking")
def staff_slot(request, slot_id):
    return _render_slot(request, _slot(slot_id))


@require_POST
@staff_permission_required("bookings.manage_slots")
def staff_slot_close(request, slot_id):
    slot = _slot(slot_id)
    form = SlotCloseForm(request.POST)
    if form.is_valid():
        try:
            cancelled = services.slot_close(slot=slot, reason=form.cleaned_data["reason"],
                                            actor=request.user)
        except CityhallError as error:
            _form_error(form, error)
        else:
            messages.success(request, _(
                "The slot is closed. Bookings cancelled: %(count)s; the people booked are "
                "told.") % {"count": cancelled})
            return redirect("bookings:staff_slot", slot_id=slot.pk)
    slot.refresh_from_db()
    return _render_slot(request, slot, close_form=form, status=400)


@require_POST
@staff_permission_required("bookings.manage_slots")
def staff_slot_reopen(request, slot_id):
    slot = _slot(slot_id)
    try:
        services.slot_reopen(slot=slot, actor=request.user)
    except CityhallError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The slot is open for booking again. Bookings cancelled "
                                    "when it was closed stay cancelled."))
    return redirect("bookings:staff_slot", slot_id=slot.pk)


# --- booking on behalf of a resident ------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("bookings.book_on_behalf")
def staff_book_on_behalf(request, slot_id):
    """Step 1 (GET ?q=): find the resident by family name. Step 2 (GET ?resident=): the
    booking's details. POST: book."""
    slot = _slot(slot_id)
    resource = slot.resource
    resident_id = request.POST.get("resident") or request.GET.get("resident")
    context = {"slot": slot, "resource": resource}
    if not resident_id:
        search = ResidentSearchForm(request.GET if "q" in request.GET else None)
        residents = None
        if search.is_bound and search.is_valid():
            residents = access_resident_list(request.user, query=search.cleaned_data["q"],
                                             page_number=request.GET.get("page"))
        if request.method == "POST":
            messages.error(request, _("Choose the resident first."))
        context.update({"search": search, "residents": residents})
        status = 400 if request.method == "POST" or (search.is_bound and not search.is_valid()) \
            else 200
        return render(request, "bookings/staff/book_search.html", context, status=status)

    resident = access_resident_profile(request.user, resident_id, purpose="booking on behalf")
    form = StaffBookingForm(request.POST if request.method == "POST" else None,
                            resource=resource, resident=resident,
                            payment_methods=services.payment_methods(resource))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.booking_create(
                slot=slot, user=resident.user, actor=request.user, places=data["places"],
                details=form.details(), items=form.items_chosen() or None,
                town=data.get("town"), payment_method=data.get("payment_method") or "",
                waitlist=bool(data.get("waitlist")))
        except CityhallError as error:
            _form_error(form, error)
        else:
            if booking.status == Booking.Status.WAITLISTED:
                messages.success(request, _("The slot is full: %(name)s is on the waitlist "
                                            "(booking number %(reference)s).")
                                 % {"name": resident.full_name,
                                    "reference": booking.reference})
            else:
                messages.success(request, _("Booked for %(name)s: booking number "
                                            "%(reference)s.")
                                 % {"name": resident.full_name,
                                    "reference": booking.reference})
            return redirect("bookings:staff_booking", booking_id=booking.pk)
    context.update({"resident": resident, "form": form})
    return render(request, "bookings/staff/book_form.html", context,
                  status=400 if form.is_bound else 200)


# --- a booking ----------------------------------------------------------------------------------

BOOKING_ACTIONS = {"cancel": "bookings.change_booking",
                   "check_in": "bookings.check_in_booking",
                   "fee": "bookings.change_booking"}


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("bookings.view_booking")
def staff_booking(request, booking_id):
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        permission = BOOKING_ACTIONS.get(action)
        if permission is None:
            booking = access_booking(request.user, booking_id)
            messages.error(request, _("Choose what to do with the booking."))
            return redirect("bookings:staff_booking", booking_id=booking.pk)
        if not can(request.user, permission):
            raise PermissionDeniedError()
    booking = access_booking(request.user, booking_id)
    cancel_form, fee_form, check_in_error = StaffCancelForm(), FeeTakenForm(), None
    if action == "cancel":
        cancel_form = StaffCancelForm(request.POST)
        if cancel_form.is_valid():
            try:
                services.booking_cancel(booking=booking, actor=request.user,
                                        reason=cancel_form.cleaned_data["reason"])
            except CityhallError as error:
                _form_error(cancel_form, error)
            else:
                messages.success(request, _("The booking is cancelled and the resident is "
                                            "told."))
                return redirect("bookings:staff_booking", booking_id=booking.pk)
    elif action == "check_in":
        try:
            services.booking_check_in(booking=booking, actor=request.user)
        except CityhallError as error:
            check_in_error = error.message
        else:
            messages.success(request, _("Checked in."))
            return redirect("bookings:staff_booking", booking_id=booking.pk)
    elif action == "fee":
        fee_form = FeeTakenForm(request.POST)
        if fee_form.is_valid():
            try:
                services.booking_fee_taken(booking=booking,
                                           reference=fee_form.cleaned_data["reference"],
                                           actor=request.user)
            except CityhallError as error:
                _form_error(fee_form, error)
            else:
                messages.success(request, _("The fee is recorded as paid."))
                return redirect("bookings:staff_booking", booking_id=booking.pk)
    now = timezone.now()
    name, kana = holder_name(booking)
    payment = None
    if can(request.user, "payments.view_payment"):
        payment = _payments_by_reference([booking]).get(booking.reference)
    return render(request, "bookings/staff/booking.html", {
        "booking": booking, "resource": booking.resource, "slot": booking.slot,
        "name": name, "kana": kana,
        "booked_for": subjects.describe([booking], viewer=request.user).get(booking.pk, ""),
        "summary": details_summary(booking, _towns([booking]), english=_english()),
        "events": booking.events.all(), "payment": payment,
        "cancel_form": cancel_form, "fee_form": fee_form, "check_in_error": check_in_error,
        "may_cancel": can(request.user, "bookings.change_booking") and booking.is_live
        and booking.slot.ends_at > now,
        "may_check_in": can(request.user, "bookings.check_in_booking")
        and booking.status == Booking.Status.CONFIRMED,
        "may_record_fee": can(request.user, "bookings.change_booking")
        and booking.payment_method in FEE_AT_FACILITY
        and booking.payment_status == Booking.PaymentStatus.PENDING},
        status=400 if action else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("bookings.check_in_booking")
def staff_checkin(request, token):
    """The page the QR code on a resident's booking opens on a staff member's phone."""
    booking = access_booking_by_token(request.user, token)
    error = None
    if request.method == "POST":
        try:
            services.booking_check_in(booking=booking, actor=request.user)
        except CityhallError as failure:
            error = failure.message
        else:
            messages.success(request, _("Checked in: %(reference)s.")
                             % {"reference": booking.reference})
            return redirect("bookings:staff_checkin", token=token)
    name, kana = holder_name(booking)
    return render(request, "bookings/staff/checkin.html", {
        "booking": booking, "resource": booking.resource, "slot": booking.slot,
        "name": name, "kana": kana, "error": error,
        "booked_for": subjects.describe([booking], viewer=request.user).get(booking.pk, ""),
        "may_view": can(request.user, "bookings.view_booking")},
        status=400 if error else 200)


# --- closures -----------------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("bookings.add_closure")
def staff_closure_new(request, code):
    """POST once to see how many bookings the closure cancels, again (confirm=1) to add it."""
    resource = _resource(code)
    form = ClosureForm(request.POST if request.method == "POST" else None)
    affected = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") == "1":
            try:
                services.closure_add(resource=resource, starts_on=data["starts_on"],
                                     ends_on=data["ends_on"], reason=data["reason"],
                                     actor=request.user)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _(
                    "The closure is added. Bookings on those days are cancelled and the "
                    "people booked are told."))
                return redirect(reverse("bookings:staff_calendar", args=[resource.code])
                                + "?" + urlencode({"day": data["starts_on"].isoformat()}))
        else:
            affected = _live_bookings_between(resource, data["starts_on"], data["ends_on"])
    return render(request, "bookings/staff/closure_new.html", {
        "resource": resource, "form": form, "affected": affected,
        "closures": resource.closures.filter(ends_on__gte=timezone.localdate())},
        status=400 if form.errors else 200)


# --- export -------------------------------------------------------------------------------------

CSV_HEADER = ["予約番号", "日付", "開始", "終了", "状態", "人数", "氏名", "氏名（カナ）",
              "職員による代理予約", "料金（円）", "支払方法", "支払状況", "支払の参照番号",
              "チェックイン時刻", "内容"]


def _cell(value: str) -> str:
    """Free text as a CSV cell that a spreadsheet shows and never runs as a formula."""
    value = str(value or "")
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def bookings_csv(bookings, *, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    towns = _towns(bookings)
    for booking in bookings:
        starts = timezone.localtime(booking.slot.starts_at)
        ends = timezone.localtime(booking.slot.ends_at)
        name, kana = holder_name(booking)
        writer.writerow([
            booking.reference, starts.strftime("%Y-%m-%d"), starts.strftime("%H:%M"),
            ends.strftime("%H:%M"), booking.status, booking.places, _cell(name), _cell(kana),
            "はい" if booking.booked_by_id else "いいえ", booking.fee_yen,
            booking.payment_method, booking.payment_status, _cell(booking.payment_reference),
            timezone.localtime(booking.checked_in_at).strftime("%H:%M")
            if booking.checked_in_at else "",
            _cell(details_summary(booking, towns, english=False))])
    return buffer.getvalue().encode(ENCODINGS[encoding], errors="replace")


@never_cache
@staff_permission_required("bookings.view_booking")
def staff_export(request, code):
    """The bookings of a resource for a range of days as CSV (UTF-8 with BOM, or cp932 for
    Excel); the download is audited with its number of rows."""
    resource = _resource(code)
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "bookings/staff/export.html",
                      {"resource": resource, "form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    encoding = form.cleaned_data["encoding"]
    bookings = list(selectors.bookings_for_export(resource, start, end))
    services.bookings_export_record(resource=resource, rows=len(bookings), actor=request.user,
                                   start=start, end=end)
    cp932 = ENCODINGS[encoding] == "cp932"
    response = HttpResponse(bookings_csv(bookings, encoding=encoding),
                            content_type=f"text/csv; charset={'shift_jis' if cp932 else 'utf-8'}")
    response["Content-Disposition"] = (
        f'attachment; filename="bookings-{resource.code}-{start:%Y%m%d}-{end:%Y%m%d}-'
        f'{"cp932" if cp932 else "utf-8"}.csv"')
    return response
