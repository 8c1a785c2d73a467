"""Every write of the bookings engine (取組7, 8, 15, 23 and facility bookings).

Capacity is protected by the database, not by Python: taking places is one conditional UPDATE
(`booked = booked + n WHERE booked + n <= capacity AND NOT is_closed`), and the check
constraint `slot_booked_within_capacity` refuses any write that would overbook. Promoting from
the waitlist takes the place the same way and moves the booking with a conditional UPDATE on
its status, so two cancellations at once can never promote one person twice or two people
into one place. A person's own bookings are serialised by a row lock on their user row (on
SQLite every write transaction is already serial: `transaction_mode=IMMEDIATE`), so the limit
of bookings per person also holds under double clicks and two tabs.

Residents' own actions are recorded on the booking; actions of staff (booking on behalf,
cancelling, closing slots, checking in) go to the audit log in the same transaction.

The services are grouped by subject: `calendar` (slots from the opening calendar), `booking`
(book, cancel, waitlist, close), `checkin` (check-in, no-shows, reminders), `fees` and
`config`; callers import them from here.
"""

from .booking import (
    MAX_ITEMS_PER_COLLECTION,
    BookingRefused,
    SlotFull,
    booking_cancel,
    booking_create,
    closure_add,
    fee_quote,
    payment_methods,
    promote_waitlist,
    slot_close,
    slot_reopen,
)
from .calendar import bookable_window, is_closed_day, local_zone, slot_times, slots_ensure
from .checkin import (
    booking_check_in,
    booking_self_check_in,
    release_no_shows,
    send_due_reminders,
)
from .config import bookings_export_record, resource_save, resources_import
from .fees import (
    booking_fee_taken,
    booking_pay_online,
    booking_payment_record,
    expire_unpaid_bookings,
    on_payment_change,
    purpose_of,
)

__all__ = [
    "MAX_ITEMS_PER_COLLECTION", "BookingRefused", "SlotFull", "bookable_window",
    "booking_cancel", "booking_check_in", "booking_create", "booking_fee_taken",
    "booking_pay_online", "booking_payment_record", "booking_self_check_in",
    "bookings_export_record", "closure_add", "expire_unpaid_bookings", "fee_quote",
    "is_closed_day", "local_zone", "on_payment_change", "payment_methods", "promote_waitlist",
    "purpose_of", "release_no_shows", "resource_save", "resources_import",
    "send_due_reminders", "slot_close", "slot_reopen", "slot_times", "slots_ensure",
]
