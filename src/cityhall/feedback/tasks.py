"""Background work of the feedback app (取組11): delivering an approved reply to its sender."""

from cityhall.core.background import PermanentTaskError, durable_task
from cityhall.core.errors import NotFoundError


@durable_task(queue_name="notifications", max_attempts=5, backoff_seconds=30)
def feedback_reply_deliver(*, reply_id: int) -> None:
    """Deliver one sent reply; idempotent (a delivered reply is not sent again)."""
    from .services import reply_deliver

    try:
        reply_deliver(reply_id=reply_id)
    except NotFoundError:
        raise PermanentTaskError(f"reply {reply_id} no longer exists") from None
