"""Background work of childcare. Nursery admission (取組7): the matching run of a round, on the
"matching" queue (a worker may serve only that queue, on a machine of its own), the periodic
recovery of runs whose worker died (services.jobs), telling online applicants that a
published round's result is ready, telling a resident that staff returned their online
application, reminding residents of unsent applications before the close (hourly), and
printing the letters of a whole round (resumes where it stopped). Immunisation (取組23
母子手帳アプリ): the daily pass (reminders and coverage figures), ticked every hour by the
workers (core.periodic), and the sending of one child's reminders. Every task is idempotent."""

import datetime

from django.utils import timezone

from cityhall.core.background import PermanentTaskError, durable_task
from cityhall.core.errors import NotFoundError
from cityhall.core.pdf import PdfUnavailable

QUEUE = "matching"


@durable_task(queue_name=QUEUE, max_attempts=3, backoff_seconds=30)
def matching_run_task(run_id: int) -> str:
    """Solve the requested run `run_id`. A run already done or failed is left alone; a run
    another attempt still holds is looked at again when that attempt's lease ends."""
    from .models import MatchingRun
    from .services import jobs

    try:
        outcome = jobs.matching_run_execute(run_id=run_id)
    except Exception as error:
        # Marked failed with a message for staff: trying again cannot help (the same data
        # gives the same error), and staff can ask for a new run. Otherwise (the database
        # was away) the task is tried again.
        if MatchingRun.objects.filter(pk=run_id, state=MatchingRun.State.FAILED).exists():
            raise PermanentTaskError(f"matching run {run_id} failed") from error
        raise
    if outcome == "held":
        _look_again_later(run_id)
    return outcome


def _look_again_later(run_id: int) -> None:
    from .models import MatchingRun
    from .services.jobs import lease_expires

    run = MatchingRun.objects.filter(pk=run_id).first()
    expires = lease_expires(run) if run is not None else None
    if expires is None or not matching_run_task.get_backend().supports_defer:
        return  # the periodic recovery looks at it
    matching_run_task.using(
        run_after=max(expires, timezone.now()) + datetime.timedelta(seconds=1)).enqueue(run_id)


@durable_task(queue_name=QUEUE, max_attempts=3, backoff_seconds=60)
def matching_runs_recover_task() -> list[int]:
    """Give their task again to runs that no worker is doing (services.jobs)."""
    from .services.jobs import matching_runs_recover

    return matching_runs_recover()



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




@durable_task(queue_name="notifications", max_attempts=6, backoff_seconds=60)
def result_notices_send_task(*, round_id: int) -> str:
    """Tell every online applicant of the round, once each."""
    from .services.publication import result_notices_send

    try:
        told = result_notices_send(round_id=round_id)
    except NotFoundError:
        raise PermanentTaskError(f"round {round_id} no longer exists") from None
    return f"told {told}"


@durable_task(max_attempts=4, backoff_seconds=60)
def letter_batch_build_task(*, batch_id: int) -> str:
    """Print the letters of a round into one PDF (resumes from the last finished part)."""
    from .models import LetterBatch
    from .services.publication import letter_batch_build, letter_batch_failed

    try:
        batch = letter_batch_build(batch_id=batch_id)
    except NotFoundError:
        raise PermanentTaskError(f"letter batch {batch_id} no longer exists") from None
    except PdfUnavailable as error:
        letter_batch_failed(batch_id=batch_id, error=str(error.message))
        raise PermanentTaskError("printing is not available") from None
    except Exception as error:
        # Shown on the round page while the task is tried again.
        LetterBatch.objects.filter(pk=batch_id).update(error=type(error).__name__)
        raise
    return f"printed {batch.done} of {batch.total}"

@durable_task(queue_name="notifications", max_attempts=5, backoff_seconds=30)
def online_return_notify(*, household_id: int, returned_at: str) -> str:
    """Tell the resident their application was returned, with the reason (the key is the
    household and the moment it was returned, so a retried task is delivered once)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from cityhall.core.notify import notify_user

    from .models import Household, OnlineStatus

    household = (Household.objects.select_related("resident__user", "round")
                 .filter(pk=household_id, online_status=OnlineStatus.RETURNED).first())
    if household is None or household.resident is None \
            or household.returned_at is None \
            or household.returned_at.isoformat() != returned_at:
        return "nothing to tell"  # sent again, checked or withdrawn since: nothing to say
    profile = household.resident
    with translation.override(profile.preferred_language or "ja"):
        subject = _("Your nursery application was returned for correction")
        body = "\n\n".join([
            _("The city returned your nursery application for %(round)s. Please correct it "
              "and send it again before the application period ends.")
            % {"round": household.round.name},
            _("Reason:") + "\n" + household.return_reason])
    notify_user(user=profile.user, topic="childcare.online_application",
                key=f"childcare.online_return:{household.pk}:{returned_at}",
                subject=subject, body=body,
                url=settings.PORTAL_URL + reverse("childcare:my_application",
                                                  args=[household.round_id]))
    return "sent"


@durable_task(queue_name="notifications", max_attempts=3, backoff_seconds=60)
def online_unsent_remind_task() -> str:
    """Remind residents whose online application is unsent as the close nears (hourly;
    services.online.unsent_reminders_send, once per household and close)."""
    from .services.online import unsent_reminders_send

    return f"reminded {unsent_reminders_send()}"
