"""Background work of the childcare app (取組23 母子手帳アプリ): the immunisation daily run
(reminders and coverage figures), ticked every hour by the workers (core.periodic), and the
sending of one child's reminders. Every task is idempotent."""

from cityhall.core.background import PermanentTaskError, durable_task


@durable_task(max_attempts=3, backoff_seconds=60)
def immunisation_daily() -> dict:
    """Every hour; the pass over the children runs once a day (services.reminders)."""
    from .services.reminders import immunisation_daily_run

    return immunisation_daily_run()


@durable_task(max_attempts=6, backoff_seconds=60)
def send_child_reminders(child_id: int) -> str:
    """Send one child's waiting reminders as one notice (claimed with the send)."""
    from .models import ChildProfile
    from .services.reminders import reminders_send_for_child

    if not ChildProfile.objects.filter(pk=child_id).exists():
        raise PermanentTaskError("the child's record no longer exists")
    return reminders_send_for_child(child_id=child_id)
