"""Residents' pages of the bookings engine (取組7, 8, 15, 23): what can be booked with its
live vacancy, a resource's rules and week of slots, booking (with the kind's own details),
a booking with its calendar file, check-in code, payment and cancellation, and self check-in.

Views parse, check access, call one service and render. Pages work without JavaScript; the
availability of live-vacancy resources refreshes itself with htmx where it is available.
"""

import datetime
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError
from cityhall.core.models import Town

from .. import selectors, services, subjects
from ..forms import BookingForm, CancelForm, TownForm, english_page, town_label
from ..models import Booking, PricedItem, Resource, Slot
from ..permissions import own_booking
from ..qr import qr_svg
from ..subjects import kind_claiming

WEEK = 7
# Kinds whose free places change by the minute: their availability refreshes itself.
LIVE_VACANCY_KINDS = (Resource.Kind.TEMPORARY_CHILDCARE, Resource.Kind.LIBRARY_SEAT)
POLL_SECONDS = 30


# --- helpers for the pages -----------------------------------------------------------------

def _local(obj, field: str):
    """`obj.<field>_en` on a page in another language than Japanese when it is filled in,
    else `obj.<field>` (marked lang="ja" on such a page)."""
    japanese = getattr(obj, field, "") or ""
    english = getattr(obj, f"{field}_en", "") or ""
    if english_page():
        if english:
            return english
        if japanese:
            return format_html('<span lang="ja">{}</span>', japanese)
    return japanese


def _plain_name(obj) -> str:
    """The name in the page's language, as plain text (for files and attributes)."""
    if english_page() and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name


def _duration(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}


def _has_items(resource: Resource) -> bool:
    return PricedItem.objects.filter(kind=resource.kind, is_active=True).exists()


def _fee_text(resource: Resource, has_items: bool) -> str:
    if has_items:
        return _("Charged by item: see the list of items and fees.")
    if not resource.fee_yen:
        return _("Free of charge")
    fee = f"{resource.fee_yen:,}"
    if resource.kind == Resource.Kind.TEMPORARY_CHILDCARE:
        return _("%(fee)s yen a child") % {"fee": fee}
    if resource.capacity == 1:
        return _("%(fee)s yen a booking") % {"fee": fee}
    return _("%(fee)s yen a place") % {"fee": fee}


def _payment_labels(resource: Resource) -> str:
    labels = dict(Booking.PaymentMethod.choices)
    return _(", ").join(str(labels[method]) for method in services.payment_methods(resource))


def _rules(resource: Resource, has_items: bool) -> list[tuple[str, list[str]]]:
    """The resource's rules in plain words, as (term, sentences) pairs."""
    audience = {
        Resource.Audience.ANYONE: _("Anyone with an account on this portal."),
        Resource.Audience.RESIDENTS: _("Registered residents of the city: fill in your "
                                       "resident details first."),
        Resource.Audience.STAFF_ONLY: _("Booked at the counter or by phone only."),
    }[resource.audience]
    if resource.min_notice_minutes:
        ahead = _("Up to %(days)s days ahead, and until %(notice)s before the start.") % {
            "days": resource.book_days_ahead, "notice": _duration(resource.min_notice_minutes)}
    else:
        ahead = _("Up to %(days)s days ahead, and until the start.") % {
            "days": resource.book_days_ahead}
    if resource.cancel_deadline_minutes:
        cancel = _("Online until %(notice)s before the start; after that, please call the "
                   "facility.") % {"notice": _duration(resource.cancel_deadline_minutes)}
    else:
        cancel = _("Online until the start.")
    places = [ngettext(
        "You may hold %(count)s upcoming booking here at a time.",
        "You may hold %(count)s upcoming bookings here at a time.",
        resource.max_active_bookings) % {"count": resource.max_active_bookings}]
    if resource.max_places_per_booking > 1:
        places.append(_("One booking can take up to %(max)s places.") % {
            "max": resource.max_places_per_booking})
    fee = [_fee_text(resource, has_items)]
    if resource.fee_yen or has_items:
        methods = _payment_labels(resource)
        if methods:
            fee.append(_("Ways to pay: %(methods)s.") % {"methods": methods})
    rules = [(_("Who may book"), [audience]), (_("How far ahead"), [ahead]),
             (_("Bookings per person"), places), (_("Cancelling"), [cancel]),
             (_("Fee"), fee)]
    if resource.checkin_required:
        rules.append((_("Check-in"), [_(
            "Check in from %(before)s minutes before to %(after)s minutes after the start: "
            "scan the code posted at the facility, or show the code on your booking's page at "
            "the desk. A booking not checked in by then is released for others.") % {
            "before": resource.checkin_opens_minutes,
            "after": resource.no_show_after_minutes}]))
    if resource.waitlist_enabled:
        rules.append((_("When it is full"), [_(
            "You can join the waitlist. If a place becomes free, it is booked for you and you "
            "are told at once.")]))
    return rules


def _slot_state(slot: Slot, resource: Resource, now) -> str:
    """What a resident can do with a slot, by the same rules the service applies:
    "open", "waitlist", "full", "closed", "too_late" or "past"."""
    if slot.is_closed:
        return "closed"
    if slot.ends_at <= now:
        return "past"
    notice = datetime.timedelta(minutes=resource.min_notice_minutes)
    running_with_checkin = resource.checkin_required and slot.starts_at <= now
    if slot.starts_at - notice < now and not running_with_checkin:
        return "too_late"
    if slot.free > 0:
        return "open"
    return "waitlist" if resource.waitlist_enabled else "full"


def _week_start(value, first: datetime.date, last: datetime.date):
    """The first day of the week shown and what to tell the reader about `?from=`: returns
    (start, message, status)."""
    if not value:
        return first, "", 200
    try:
        asked = datetime.date.fromisoformat(value)
    except ValueError:
        return first, _("“%(value)s” is not a date such as %(example)s; the times from today "
                        "are shown.") % {"value": value[:20], "example": first.isoformat()}, 400
    if asked < first:
        return first, _("Times before today cannot be booked; the times from today are "
                        "shown."), 200
    if asked > last:
        start = max(first, last - datetime.timedelta(days=WEEK - 1))
        return start, _("Bookings open %(days)s days ahead; the last week that can be booked "
                        "is shown.") % {"days": (last - first).days}, 200
    return asked, "", 200


def _availability(request, resource: Resource, start: datetime.date, now):
    """The week from `start`: one entry a day with its slots and what can be done with each."""
    first, last = services.bookable_window(resource, now)
    end = min(start + datetime.timedelta(days=WEEK - 1), last)
    slots = selectors.availability(resource, start=start, days=WEEK, now=now)
    mine = {}
    if request.user.is_authenticated and slots:
        mine = dict(Booking.objects.filter(
            user=request.user, resource=resource, status__in=Booking.LIVE_STATUSES,
            slot__in=[slot.pk for slot in slots]).values_list("slot_id", "pk"))
    closures = list(resource.closures.filter(ends_on__gte=start, starts_on__lte=end))
    by_day: dict[datetime.date, list] = {}
    for slot in slots:
        by_day.setdefault(timezone.localdate(slot.starts_at), []).append({
            "slot": slot, "state": _slot_state(slot, resource, now),
            "mine": mine.get(slot.pk)})
    days = []
    day = start
    while day <= end:
        closed = services.is_closed_day(resource, day, closures)
        reasons = [closure.reason for closure in closures
                   if closure.starts_on <= day <= closure.ends_on and closure.reason]
        days.append({"day": day, "rows": by_day.get(day, []), "closed": closed,
                     "reason": reasons[0] if reasons else "", "today": day == first})
        day += datetime.timedelta(days=1)
    previous = max(first, start - datetime.timedelta(days=WEEK)) if start > first else None
    following = start + datetime.timedelta(days=WEEK)
    return {"days": days, "start": start, "end": end, "previous": previous,
            "next": following if following <= last else None}


def _checkin_qr(booking: Booking) -> str:
    """The booking's check-in code as inline SVG: staff scan it to check the booking in."""
    url = settings.PORTAL_URL + reverse("bookings:staff_checkin", args=[booking.checkin_token])
    return qr_svg(url, label=_("Check-in code for booking %(reference)s")
                  % {"reference": booking.reference})


def _collection_town(booking: Booking):
    town_id = booking.details.get("town_id")
    return Town.objects.filter(pk=town_id).first() if town_id else None


def _cancel_deadline(booking: Booking):
    return booking.slot.starts_at - datetime.timedelta(
        minutes=booking.resource.cancel_deadline_minutes)


def _cancellable(booking: Booking, now) -> bool:
    """Whether the holder can still cancel online (the service decides; this hides a button
    that would only be refused)."""
    if booking.status not in Booking.LIVE_STATUSES or booking.slot.ends_at <= now:
        return False
    return booking.status == Booking.Status.WAITLISTED or now <= _cancel_deadline(booking)


def _last_payment(booking: Booking):
    if not apps.is_installed("cityhall.payments"):
        return None
    from cityhall.payments.models import Payment

    return Payment.objects.filter(purpose=services.purpose_of(booking),
                                  payer_id=booking.user_id).order_by("-created_at").first()


def _go_and_pay(request, booking: Booking):
    """The booking's online payment (the live one or a new attempt), then the payments
    engine's page for it, where "Pay now" leads to the payment service. (The engine's
    `payment_pay` takes a POST with the page's CSRF token, so a redirect cannot go there.)"""
    try:
        payment = services.booking_pay_online(booking=booking, actor=request.user)
    except CityhallError as error:
        messages.error(request, error.message)
        return redirect("bookings:booking_detail", booking_id=booking.pk)
    return redirect("payments:payment_detail", payment_id=payment.pk)


# --- what can be booked --------------------------------------------------------------------

def resource_list(request):
    resources = list(selectors.bookable_resources().select_related("facility", "area"))
    vacancy = selectors.free_places_today(resources)
    kinds_with_items = set(PricedItem.objects.filter(is_active=True)
                           .values_list("kind", flat=True))
    groups = []
    for kind, label in Resource.Kind.choices:
        entries = [{
            "resource": resource, "description": _local(resource, "description"),
            "fee": _fee_text(resource, resource.kind in kinds_with_items),
            # Vacancy today means something only where today can still be booked.
            "same_day": resource.min_notice_minutes < 1440,
            "free_today": vacancy.get(resource.pk),
        } for resource in resources if resource.kind == kind]
        if entries:
            groups.append({"kind": kind, "label": label, "entries": entries})
    return render(request, "bookings/resource_list.html", {"groups": groups})


def resource_detail(request, code):
    resource = get_object_or_404(selectors.bookable_resources(), code=code)
    now = timezone.now()
    first, last = services.bookable_window(resource, now)
    start, notice, status = _week_start(request.GET.get("from", ""), first, last)
    week = _availability(request, resource, start, now)
    live = resource.kind in LIVE_VACANCY_KINDS
    claimed = kind_claiming(resource)
    context = {"resource": resource, "week": week, "live": live, "poll_seconds": POLL_SECONDS,
               "now": now, "elsewhere": claimed.hint if claimed else ""}
    if request.headers.get("HX-Request") == "true" and \
            request.headers.get("HX-Target") == "availability":
        response = render(request, "bookings/availability.html", context, status=status)
    else:
        has_items = _has_items(resource)
        context.update({
            "description": _local(resource, "description"), "notice": notice,
            "rules": _rules(resource, has_items),
            "items": PricedItem.objects.filter(kind=resource.kind, is_active=True)
            if has_items else [],
        })
        response = render(request, "bookings/resource_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def bulky_waste_start(request):
    """Bulky waste is collected by area: the resident's own area, or the one of the town
    they choose."""
    bulky = selectors.bookable_resources().filter(kind=Resource.Kind.BULKY_WASTE)
    profile = getattr(request.user, "resident_profile", None) \
        if request.user.is_authenticated else None
    own = bulky.filter(area_id=profile.town.branch_office_id).first() if profile else None
    form = TownForm(request.GET or None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            town = form.cleaned_data["town"]
            resource = bulky.filter(area_id=town.branch_office_id).first()
            if resource is not None:
                return redirect("bookings:resource_detail", code=resource.code)
            form.add_error("town", _("Bulky waste from this town cannot be booked here. "
                                     "Please ask the branch office of your area."))
        status = 400
    return render(request, "bookings/bulky_waste_start.html", {
        "form": form, "profile": profile, "own": own,
        "own_town": town_label(profile.town) if profile else ""}, status=status)


# --- booking -------------------------------------------------------------------------------

def _refusal(resource: Resource, user) -> str:
    """Why this person cannot book here at all (the service refuses it too)."""
    if kind_claiming(resource) is not None:
        return "elsewhere"  # booked for someone from a domain app's page (a child's checkup)
    if resource.audience == Resource.Audience.STAFF_ONLY:
        return "staff_only"
    if resource.audience == Resource.Audience.RESIDENTS and \
            not hasattr(user, "resident_profile"):
        return "no_profile"
    return ""


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def booking_new(request, code, slot_id):
    resource = get_object_or_404(selectors.bookable_resources(), code=code)
    slot = get_object_or_404(Slot, pk=slot_id, resource=resource)
    now = timezone.now()
    state = _slot_state(slot, resource, now)
    full_now = False  # the slot filled up while the form was being filled in
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST, resource=resource, user=request.user)
        step = request.POST.get("step", "")
        if form.is_valid() and step == "edit":
            pass  # back from the confirmation page to change something
        elif form.is_valid() and form.priced_items and step != "confirm":
            # Items are charged one by one: show the fee before booking.
            return render(request, "bookings/booking_confirm.html", {
                "resource": resource, "slot": slot, "form": form,
                "lines": form.item_lines(), "fee_yen": form.fee_yen(),
                "payment_label": dict(Booking.PaymentMethod.choices).get(
                    form.cleaned_data.get("payment_method"), "")})
        elif form.is_valid():
            try:
                booking = services.booking_create(slot=slot, user=request.user,
                                                  actor=request.user,
                                                  **form.service_arguments())
            except services.SlotFull as error:
                full_now = True
                if resource.waitlist_enabled:
                    # Offer the waitlist: the same answers, sent again with "waitlist".
                    data = request.POST.copy()
                    data["waitlist"] = "1"
                    data.pop("step", None)
                    form = BookingForm(data, resource=resource, user=request.user)
                    form.is_valid()
                form.add_service_error(error)
                status = 400
            except CityhallError as error:
                form.add_service_error(error)
                status = 400
            else:
                return _booked(request, booking)
        else:
            status = 400
    else:
        form = BookingForm(initial={"waitlist": state == "waitlist"}, resource=resource,
                           user=request.user)
    try:
        waitlisting = form.fields["waitlist"].clean(form["waitlist"].value())
    except ValidationError:
        waitlisting = False
    return render(request, "bookings/booking_form.html", {
        "resource": resource, "slot": slot, "form": form, "state": state,
        "refusal": _refusal(resource, request.user), "full_now": full_now,
        "elsewhere": getattr(kind_claiming(resource), "hint", ""),
        "waitlisting": waitlisting and resource.waitlist_enabled,
        "fee_yen": resource.fee_yen, "same_area": _same_area(resource, request.user),
        "max_items": services.MAX_ITEMS_PER_COLLECTION}, status=status)


def _same_area(resource: Resource, user):
    """For a collection by area: None when it serves the person's registered address, else
    the collection that does (or False when none does)."""
    profile = getattr(user, "resident_profile", None)
    if not resource.area_id or profile is None:
        return None
    if profile.town.branch_office_id == resource.area_id:
        return None
    other = selectors.bookable_resources().filter(
        kind=resource.kind, area_id=profile.town.branch_office_id).first()
    return other or False


def _booked(request, booking: Booking):
    if booking.status == Booking.Status.WAITLISTED:
        messages.success(request, _(
            "You are on the waitlist (booking number %(reference)s). If a place becomes free, "
            "it is booked for you and you are told at once.") % {"reference": booking.reference})
    else:
        messages.success(request, _("Your booking is confirmed. Your booking number is "
                                    "%(reference)s.") % {"reference": booking.reference})
    if booking.payment_method == Booking.PaymentMethod.ONLINE and \
            booking.payment_status == Booking.PaymentStatus.PENDING and \
            booking.status in Booking.HOLDING_STATUSES:
        messages.info(request, _(
            "Please pay the fee now: a booking whose fee is not paid within %(minutes)s "
            "minutes is cancelled.") % {"minutes": settings.BOOKING_PAYMENT_HOLD_MINUTES})
        return _go_and_pay(request, booking)
    return redirect("bookings:booking_detail", booking_id=booking.pk)


# --- a booking -----------------------------------------------------------------------------

@login_required
@never_cache
def booking_detail(request, booking_id):
    booking = own_booking(request.user, booking_id)
    resource = booking.resource
    now = timezone.now()
    details = booking.details or {}
    lines = [{"name": line.get("name_en") if english_page() and line.get("name_en")
              else line.get("name", line.get("code", "")),
              "pieces": line.get("pieces", 0), "fee_yen": line.get("fee_yen", 0),
              "total": line.get("pieces", 0) * line.get("fee_yen", 0)}
             for line in details.get("items", [])]
    show_qr = resource.checkin_required and booking.status == Booking.Status.CONFIRMED
    return render(request, "bookings/booking_detail.html", {
        "booked_for": subjects.describe([booking], viewer=request.user).get(booking.pk, ""),
        "booking": booking, "resource": resource, "slot": booking.slot,
        "details": details, "lines": lines, "children": details.get("children", []),
        "town": _collection_town(booking),
        "cancellable": _cancellable(booking, now), "deadline": _cancel_deadline(booking),
        "is_live": booking.status in Booking.LIVE_STATUSES and booking.slot.ends_at > now,
        "can_pay": booking.payment_method == Booking.PaymentMethod.ONLINE
        and booking.payment_status == Booking.PaymentStatus.PENDING
        and booking.status in Booking.HOLDING_STATUSES,
        "payment": _last_payment(booking) if booking.payment_method == "online" else None,
        "qr": _checkin_qr(booking) if show_qr else "",
        "hold_minutes": settings.BOOKING_PAYMENT_HOLD_MINUTES,
    })


@login_required
@never_cache
def booking_ics(request, booking_id):
    """The booking as a calendar file (RFC 5545) to add to a phone's calendar."""
    from icalendar import Calendar, Event

    booking = own_booking(request.user, booking_id)
    resource, slot = booking.resource, booking.slot
    detail_url = settings.PORTAL_URL + reverse("bookings:booking_detail", args=[booking.pk])
    host = urlsplit(settings.PORTAL_URL).hostname or "localhost"
    if resource.facility_id:
        location = f"{_plain_name(resource.facility)} {resource.facility.address}"
    else:
        town = _collection_town(booking)
        municipality = town.municipality if town else None
        location = "".join(part for part in (
            municipality.prefecture if municipality else "",
            municipality.name if municipality else "",
            town.label if town else "", booking.details.get("block_number", "")) if part)
    calendar = Calendar()
    calendar.add("prodid", "-//cityhall//bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.pk}@{host}")
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", slot.starts_at.astimezone(datetime.UTC))
    event.add("dtend", slot.ends_at.astimezone(datetime.UTC))
    event.add("summary", _plain_name(resource))
    if location:
        event.add("location", location)
    event.add("description", _("Booking number: %(reference)s\n%(url)s")
              % {"reference": booking.reference, "url": detail_url})
    event.add("url", detail_url)
    event.add("status", {Booking.Status.WAITLISTED: "TENTATIVE",
                         Booking.Status.CANCELLED: "CANCELLED",
                         Booking.Status.NO_SHOW: "CANCELLED"}.get(booking.status, "CONFIRMED"))
    calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.reference}.ics"'
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def booking_cancel(request, booking_id):
    booking = own_booking(request.user, booking_id)
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.booking_cancel(booking=booking, actor=request.user,
                                        reason=form.cleaned_data["reason"])
            except CityhallError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your booking %(reference)s is cancelled.")
                                 % {"reference": booking.reference})
                return redirect("bookings:booking_detail", booking_id=booking.pk)
        status = 400
    return render(request, "bookings/booking_cancel.html", {
        "booking": booking, "resource": booking.resource, "slot": booking.slot, "form": form,
        "cancellable": _cancellable(booking, timezone.now()),
        "deadline": _cancel_deadline(booking)}, status=status)


@login_required
@require_POST
def booking_pay(request, booking_id):
    booking = own_booking(request.user, booking_id)
    return _go_and_pay(request, booking)


@login_required
@never_cache
def my_bookings(request):
    now = timezone.now()
    upcoming = selectors.upcoming_bookings_of(request.user, now)
    past = selectors.bookings_of(request.user).exclude(
        status__in=Booking.LIVE_STATUSES, slot__ends_at__gt=now)
    page = Paginator(past, 20).get_page(request.GET.get("page"))
    return render(request, "bookings/my_bookings.html",
                  {"upcoming": upcoming, "page": page})


# --- self check-in -------------------------------------------------------------------------

@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def self_checkin(request, code, secret):
    """The holder scans the code posted at the facility and confirms."""
    resource = get_object_or_404(selectors.bookable_resources(), code=code)
    error = None
    if request.method == "POST":
        try:
            booking = services.booking_self_check_in(resource=resource, secret=secret,
                                                     user=request.user)
        except CityhallError as refused:
            error = refused.message
        else:
            messages.success(request, _("You are checked in. Booking number: %(reference)s.")
                             % {"reference": booking.reference})
            return redirect("bookings:booking_detail", booking_id=booking.pk)
    return render(request, "bookings/self_checkin.html",
                  {"resource": resource, "error": error}, status=400 if error else 200)
