"""Named queries of the feedback app (取組11): the public Q&A, a resident's own opinions, the
staff queue and the monthly counts."""

import datetime

from django.db.models import Count, Q

from .models import Opinion, QAEntry, Topic
from .permissions import opinions_visible_to


def active_topics():
    return Topic.objects.filter(active=True)


def published_qa(*, query: str = "", topic: str = "", department: str = ""):
    """Published entries, newest first; `query` searches the summary and the answer."""
    entries = (QAEntry.objects.filter(status=QAEntry.Status.PUBLISHED)
               .select_related("topic", "department"))
    if query:
        for word in query.split()[:5]:
            entries = entries.filter(Q(question__icontains=word) | Q(answer__icontains=word))
    if topic:
        entries = entries.filter(topic__code=topic)
    if department:
        entries = entries.filter(department__code=department)
    return entries.order_by("-published_on", "-pk")


def qa_departments():
    """The departments that have published answers (the filter's choices)."""
    from cityhall.core.models import Department

    return Department.objects.filter(
        qa_entries__status=QAEntry.Status.PUBLISHED).distinct().order_by("code")


def my_opinions(user):
    return (Opinion.objects.filter(sender=user).select_related("topic", "department")
            .prefetch_related("replies"))


def staff_queue(user, *, status: str = "", department: str = "", topic: str = ""):
    opinions = opinions_visible_to(user)
    if status:
        opinions = opinions.filter(status=status)
    if department == "none":
        opinions = opinions.filter(department__isnull=True)
    elif department:
        opinions = opinions.filter(department__code=department)
    if topic:
        opinions = opinions.filter(topic__code=topic)
    return opinions.order_by("-received_at", "-pk")


def month_range(month: datetime.date):
    """The aware bounds of a calendar month in the local time zone."""
    from django.utils import timezone

    start = month.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (datetime.datetime.combine(start, datetime.time(), tzinfo=zone),
            datetime.datetime.combine(end, datetime.time(), tzinfo=zone))


def monthly_counts(user, *, month: datetime.date) -> dict:
    """Opinions received in the month, counted by topic, by department and by channel, out of
    those the user may see."""
    start, end = month_range(month)
    opinions = opinions_visible_to(user).filter(received_at__gte=start, received_at__lt=end)
    by_topic = list(opinions.values("topic__code", "topic__name", "topic__name_en")
                    .annotate(count=Count("pk")).order_by("topic__order", "topic__code"))
    by_department = list(opinions.values("department__code", "department__name",
                                         "department__name_en")
                         .annotate(count=Count("pk")).order_by("department__code"))
    by_channel = list(opinions.values("channel").annotate(count=Count("pk"))
                      .order_by("channel"))
    return {"total": opinions.count(), "topic": by_topic, "department": by_department,
            "channel": by_channel}
