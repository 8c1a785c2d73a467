"""Background work of nursery admission (取組7): telling online applicants that a published
round's result is ready, and printing the letters of a whole round. Both are idempotent and
go on where they stopped when a worker is restarted (core.background)."""

from cityhall.core.background import PermanentTaskError, durable_task
from cityhall.core.errors import NotFoundError
from cityhall.core.pdf import PdfUnavailable


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
