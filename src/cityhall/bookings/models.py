"""Bookable resources, their slots, bookings, waitlists and check-in (予約).

One engine serves several initiatives of the plan: study seats at the new Mita library with
check-in (取組15), temporary childcare with live vacancy (取組23), infant health checkups at
the health centre (取組7), bulky-waste collection days by area (取組8) and rooms at community
centres and sports facilities.

A Resource is what is booked, with its rules as data (who may book, how far ahead, how many
bookings a person may hold, the cancellation deadline, the fee, check-in). Its opening hours
and closures, with Japan's public holidays from the `holidays` library, produce Slots. A Slot
counts its booked places; the database refuses a count above capacity (a check constraint) and
every change of the count is a single conditional UPDATE, so capacity holds whatever the
concurrency (DESIGN.md, "capacity is protected by the database").
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import BranchOffice, Department, Facility


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class Resource(models.Model):
    class Kind(models.TextChoices):
        LIBRARY_SEAT = "library_seat", _("Library study seats")
        TEMPORARY_CHILDCARE = "temporary_childcare", _("Temporary childcare")  # 一時預かり
        HEALTH_CHECKUP = "health_checkup", _("Infant health checkup")  # 乳幼児健診
        BULKY_WASTE = "bulky_waste", _("Bulky waste collection")  # 粗大ごみ
        ROOM = "room", _("Community centre room")  # 区民センター
        SPORTS = "sports", _("Sports facility")

    class Audience(models.TextChoices):
        ANYONE = "anyone", _("Anyone with an account")
        RESIDENTS = "residents", _("Registered residents of the city")
        STAFF_ONLY = "staff_only", _("Booked by staff only")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="bookable_resources", verbose_name=_("facility"))
    area = models.ForeignKey(
        BranchOffice, on_delete=models.PROTECT, null=True, blank=True,
        related_name="bookable_resources", verbose_name=_("area served"),
        help_text=_("For services brought to an address (bulky waste): the branch office area "
                    "whose addresses this resource serves."))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="bookable_resources",
                                   verbose_name=_("department in charge"))

    capacity = models.PositiveIntegerField(
        _("places per slot"), help_text=_("Seats, children, collections or rooms per slot."))
    slot_minutes = models.PositiveIntegerField(
        _("slot length (minutes)"),
        help_text=_("A slot as long as the opening hours makes one slot a day."))
    max_places_per_booking = models.PositiveSmallIntegerField(_("places per booking, at most"),
                                                              default=1)

    audience = models.CharField(_("who may book"), max_length=20, choices=Audience.choices,
                                default=Audience.RESIDENTS)
    book_days_ahead = models.PositiveSmallIntegerField(
        _("bookable days ahead"), default=30,
        help_text=_("How many days ahead a slot can be booked."))
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=0,
        help_text=_("How long before its start a slot can still be booked."))
    max_active_bookings = models.PositiveSmallIntegerField(
        _("bookings a person may hold"), default=2,
        help_text=_("Upcoming bookings (and waitlist places) one person may hold here."))
    cancel_deadline_minutes = models.PositiveIntegerField(
        _("cancellation deadline (minutes before)"), default=0)
    fee_yen = models.PositiveIntegerField(
        _("fee per place (yen)"), default=0,
        help_text=_("Zero when free. Resources with priced items charge per item instead."))
    fee_code = models.SlugField(
        _("fee schedule code"), max_length=60, blank=True,
        help_text=_("The line of the payments fee schedule this fee is collected under."))
    allow_sticker = models.BooleanField(
        _("may pay with a sticker"), default=False,
        help_text=_("Bulky waste: the fee may be paid with 粗大ごみ処理券 bought at a shop."))
    checkin_required = models.BooleanField(_("check-in required"), default=False)
    checkin_opens_minutes = models.PositiveSmallIntegerField(
        _("check-in opens (minutes before)"), default=15)
    no_show_after_minutes = models.PositiveSmallIntegerField(
        _("released after (minutes without check-in)"), default=30)
    waitlist_enabled = models.BooleanField(_("waitlist"), default=True)
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder (hours before)"), default=24, help_text=_("Zero sends no reminder."))
    closed_on_public_holidays = models.BooleanField(_("closed on public holidays"),
                                                    default=True)
    closed_new_year = models.BooleanField(_("closed over the New Year (12/29–1/3)"),
                                          default=True)
    checkin_secret = models.CharField(
        max_length=64, default=new_secret, editable=False,
        help_text=_("Printed as a QR code at the facility for self check-in."))
    is_active = models.BooleanField(_("open for booking"), default=True)
    is_demo = models.BooleanField(_("demo record"), default=False)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "sort_order", "code"]
        verbose_name = _("bookable resource")
        verbose_name_plural = _("bookable resources")
        permissions = [("manage_slots", _("Can open and close slots")),
                       ("book_on_behalf", _("Can book on behalf of a resident")),
                       ("check_in_booking", _("Can check bookings in"))]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1),
                                   name="resource_capacity_positive"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5),
                                   name="resource_slot_minutes_min"),
        ]

    def __str__(self):
        return self.name


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["resource", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [models.CheckConstraint(condition=Q(closes__gt=F("opens")),
                                              name="opening_hours_closes_after_opens")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """Days on which a resource is closed (maintenance days, 館内整理日, events)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["resource", "starts_on"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                              name="closure_ends_after_start")]

    def __str__(self):
        return f"{self.starts_on}–{self.ends_on} {self.reason}"


class PricedItem(models.Model):
    """Something charged per piece on a booking of a kind, e.g. a sofa on a bulky-waste
    collection (粗大ごみ手数料)."""

    kind = models.CharField(_("resource kind"), max_length=30, choices=Resource.Kind.choices)
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160)
    fee_yen = models.PositiveIntegerField(_("fee per piece (yen)"))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "sort_order", "code"]
        verbose_name = _("priced item")
        verbose_name_plural = _("priced items")
        constraints = [models.UniqueConstraint(fields=["kind", "code"],
                                               name="priced_item_unique_code")]

    def __str__(self):
        return f"{self.name} ({self.fee_yen:,}円)"


class Slot(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"))
    booked = models.PositiveIntegerField(_("places booked"), default=0)
    is_closed = models.BooleanField(_("closed"), default=False)
    closed_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    class Meta:
        ordering = ["resource", "starts_at"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.UniqueConstraint(fields=["resource", "starts_at"], name="slot_unique_start"),
            # The last line of defence: no write, from any code path, can overbook.
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")),
                                   name="slot_booked_within_capacity"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="slot_ends_after_start"),
        ]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self):
        return f"{self.resource} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return 0 if self.is_closed else max(self.capacity - self.booked, 0)


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("Released (no check-in)")
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentMethod(models.TextChoices):
        NONE = "none", _("No fee")
        ONLINE = "online", _("Online")
        STICKER = "sticker", _("Sticker (粗大ごみ処理券)")
        AT_FACILITY = "at_facility", _("At the facility or counter")

    class PaymentStatus(models.TextChoices):
        NOT_REQUIRED = "not_required", _("No fee")
        PENDING = "pending", _("To be paid")
        PAID = "paid", _("Paid")
        REFUND_DUE = "refund_due", _("Refund due")
        REFUNDED = "refunded", _("Refunded")

    # A person's place in a slot is taken while a booking is in one of these statuses.
    LIVE_STATUSES = ("confirmed", "waitlisted", "checked_in")
    HOLDING_STATUSES = ("confirmed", "checked_in")  # these count against the slot's places

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("booking number"), max_length=20, unique=True)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings",
                                 verbose_name=_("resource"))
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings",
                             verbose_name=_("slot"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="bookings", verbose_name=_("booked for"))
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("booked by staff"))
    places = models.PositiveSmallIntegerField(_("places"), default=1)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Whom the booking is for when it is not the holder (a child at a checkup): an opaque key
    # of ids chosen by the domain app that registered the kind (see `subjects`); never a name.
    subject = models.CharField(_("booked for (subject)"), max_length=100, blank=True,
                               default="", editable=False)
    fee_yen = models.PositiveIntegerField(_("fee (yen)"), default=0)
    payment_method = models.CharField(_("payment"), max_length=20,
                                      choices=PaymentMethod.choices,
                                      default=PaymentMethod.NONE)
    payment_status = models.CharField(_("payment status"), max_length=20,
                                      choices=PaymentStatus.choices,
                                      default=PaymentStatus.NOT_REQUIRED)
    payment_reference = models.CharField(_("payment reference"), max_length=40, blank=True)
    checkin_token = models.CharField(max_length=64, unique=True, default=new_secret,
                                     editable=False)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("promoted from the waitlist at"), null=True,
                                       blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["slot__starts_at", "created_at"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            # One live booking per person per slot: a double click books once. (Bookings for
            # subjects are held once per subject instead: twins at the same checkup.)
            models.UniqueConstraint(fields=["slot", "user"],
                                    condition=Q(status__in=["confirmed", "waitlisted",
                                                            "checked_in"], subject=""),
                                    name="booking_one_live_per_person_per_slot"),
            # One live booking per subject, whatever the slot (e.g. per child and checkup).
            models.UniqueConstraint(fields=["subject"],
                                    condition=Q(status__in=["confirmed", "waitlisted",
                                                            "checked_in"]) & ~Q(subject=""),
                                    name="booking_one_live_per_subject"),
            models.CheckConstraint(condition=Q(places__gte=1), name="booking_places_positive"),
        ]
        indexes = [models.Index(fields=["slot", "status", "created_at"]),
                   models.Index(fields=["user", "status"])]

    def __str__(self):
        return self.reference

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class BookingEvent(models.Model):
    """A step in a booking's life that its holder is told about. Stored first and sent after
    commit by a task; `notified_at` is claimed before sending, so a re-run task sends once."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("Booking confirmed")
        WAITLISTED = "waitlisted", _("Added to the waitlist")
        PROMOTED = "promoted", _("A place became free: booking confirmed")
        CANCELLED = "cancelled", _("Booking cancelled")
        CANCELLED_BY_CITY = "cancelled_by_city", _("Booking cancelled by the city")
        REMINDER = "reminder", _("Reminder")
        RELEASED = "released", _("Released for no check-in")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("booking notice")
        verbose_name_plural = _("booking notices")

    def __str__(self):
        return f"{self.booking_id} {self.kind}"
