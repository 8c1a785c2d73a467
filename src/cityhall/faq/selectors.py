"""Named queries of the FAQ app (取組6, 8, 19): published entries, the office to contact, the
suggested questions and the staff lists."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from cityhall.core.models import BranchOffice

from .models import Category, Entry, QuestionLog

SUGGESTED_KEYS_SETTING = "FAQ_SUGGESTED_KEYS"


def published_entries():
    return Entry.objects.filter(status=Entry.Status.PUBLISHED).select_related(
        "category", "department")


def published_by_ids(ids) -> dict[int, Entry]:
    return {entry.pk: entry for entry in published_entries().filter(pk__in=list(ids))}


def categories_with_counts():
    return Category.objects.annotate(
        published=Count("entries", filter=Q(entries__status=Entry.Status.PUBLISHED))
    ).filter(published__gt=0)


def office_contact(entry: Entry | None, language: str) -> dict:
    """Who to call when the bot cannot help: the entry's own contact, else its department
    (its branch office's phone, or the main switchboard) and the opening hours."""
    main = BranchOffice.objects.filter(is_main_office=True).first()
    hours = _("Weekdays 8:30–17:15 (closed on weekends, holidays and 29 Dec–3 Jan)")
    english = language == "en"
    if entry is not None and entry.contact:
        return {"name": entry.contact, "phone": "", "hours": hours, "lang": "ja"}
    department = entry.department if entry is not None else None
    office = department.branch_office if department is not None and \
        department.branch_office_id else main
    if department is not None:
        name = department.name_en if english and department.name_en else department.name
    else:
        name = _("Minato City Hall (main switchboard)")
    return {"name": name, "phone": (office.phone if office else "") or
            (main.phone if main else ""), "hours": hours,
            "lang": "" if english or department is None else "ja"}


def suggested_entries(language: str, limit: int = 4) -> list[Entry]:
    """The questions offered before anyone asks: the most asked-about published entries of
    the last weeks, else the first entries of each category."""
    asked = (QuestionLog.objects.filter(answered=True, top_entry__status=Entry.Status.PUBLISHED)
             .values("top_entry").annotate(n=Count("id")).order_by("-n")[:limit])
    ids = [row["top_entry"] for row in asked]
    entries = list(published_entries().filter(pk__in=ids))
    entries.sort(key=lambda entry: ids.index(entry.pk))
    if len(entries) < limit:
        seen = {entry.pk for entry in entries}
        for category in Category.objects.all():
            first = published_entries().filter(category=category).exclude(pk__in=seen).first()
            if first is not None:
                entries.append(first)
                seen.add(first.pk)
            if len(entries) >= limit:
                break
    return entries[:limit]


def open_questions(*, days: int = 90, limit: int = 2000):
    """Questions the learning loop shows staff: unanswered or found not helpful, not yet
    handled."""
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    return (QuestionLog.objects.filter(created_at__gte=since, resolved_at__isnull=True)
            .filter(Q(answered=False) | Q(helpful=False))
            .select_related("top_entry").order_by("-created_at")[:limit])
