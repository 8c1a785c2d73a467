"""Background work of the online nursery applications (取組7): telling a resident that staff
returned their application, with the reason, after the change is committed. Idempotent: the
notice key is the household and the moment it was returned, so a retried task is delivered
once by the notifications engine."""

from cityhall.core.background import durable_task


@durable_task(queue_name="notifications", max_attempts=5, backoff_seconds=30)
def online_return_notify(*, household_id: int, returned_at: str) -> str:
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
