"""The body of a separate process that books against the test database, for the
multi-process test in test_concurrency.py (as a second web node would).

It is a module of its own, without model imports at the top, because a process started with
multiprocessing's "spawn" imports it before Django is set up.
"""

import datetime
import os
import traceback


def book_and_cancel(database_url: str, slot_id: int, user_ids: list[int], now_iso: str,
                    ready, cancel_ready, results) -> None:
    """Set Django up against `database_url`, wait for every process at `ready`, book `slot_id`
    for each of `user_ids` (joining the waitlist when full), wait at `cancel_ready`, cancel the
    bookings that were confirmed when made, and put one (process id, outcomes) pair on `results`."""
    outcomes: list[str] = []
    try:
        os.environ["DATABASE_URL"] = database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "cityhall.settings"
        # Notices are only queued (database backend): this process sends nothing.
        os.environ["TASK_BACKEND"] = "database"
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.db import connection

        from cityhall.bookings import services
        from cityhall.bookings.models import Booking, Slot

        now = datetime.datetime.fromisoformat(now_iso)
        slot = Slot.objects.select_related("resource").get(pk=slot_id)
        users = list(get_user_model().objects.filter(pk__in=user_ids)
                     .select_related("resident_profile").order_by("pk"))
        confirmed = []
        ready.wait()
        for number, user in enumerate(users):
            try:
                booking = services.booking_create(slot=slot, user=user, actor=user, now=now,
                                                  waitlist=number % 2 == 0)
                if booking.status == Booking.Status.CONFIRMED:
                    confirmed.append(booking.pk)
                outcomes.append(booking.status)
            except services.SlotFull:
                outcomes.append("full")
            except Exception as exc:  # reported to the test, which fails on it
                outcomes.append(f"{type(exc).__name__}: {exc}")
        cancel_ready.wait()
        for booking in Booking.objects.filter(pk__in=confirmed).select_related("user"):
            try:
                services.booking_cancel(booking=booking, actor=booking.user, now=now)
                outcomes.append("cancelled")
            except Exception as exc:
                outcomes.append(f"cancel {type(exc).__name__}: {exc}")
        connection.close()
    except Exception:
        outcomes.append("crashed: " + traceback.format_exc())
        # Do not leave the others waiting at a barrier this process will never reach.
        ready.abort()
        cancel_ready.abort()
    results.put((os.getpid(), outcomes))
