"""Shelter status services (取組12, 港区避難所開設状況システム).

Every write of the shelters subject: a shelter opened, closed or its crowding and notes
changed by the staff assigned to it (or a manager), staff assigned and removed, the crowding
thresholds set. Each service is one transaction that writes the change, its history row and
the core audit event together; after commit it bumps the public cache version (so every web
node serves the new status at once) and, when the notifications engine is installed, tells
the subscribers of the shelter and of its area that it opened, closed or became full.
"""

import json
import logging
from pathlib import Path

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Facility
from cityhall.core.permissions import can, is_staff_member

from ..models.shelters import (
    SHELTER_KINDS,
    Crowding,
    CrowdingThresholds,
    ShelterAssignment,
    ShelterStatus,
    ShelterStatusChange,
)

__all__ = [
    "MAX_HEAD_COUNT", "NOTIFY_LANGUAGES", "can_manage_shelters", "can_update_shelter",
    "crowding_thresholds", "crowding_thresholds_set", "shelter_assignment_add",
    "shelter_assignment_remove", "shelter_capacities_load_demo", "shelter_demo_load",
    "shelter_for_update", "shelter_get", "shelter_status_update", "shelter_topics_ensure",
    "shelters_cache_version", "shelters_for_staff",
]

logger = logging.getLogger(__name__)

# A head count above this is a typing error, not a crowd (the largest Minato shelters take
# a few thousand people).
MAX_HEAD_COUNT = 100_000
NOTIFY_LANGUAGES = ("ja", "en", "zh-hans", "ko")
DATA = Path(__file__).resolve().parents[1] / "data"

# The public pages and API cache their responses under this version; the services replace
# it after every commit. When the cache is not shared between processes (the local-memory
# default), the version is read again from the database after VERSION_TTL seconds, so every
# process serves a change within that time; with Redis every node sees it at once.
VERSION_KEY = "disaster:shelters:version"
VERSION_TTL = 10


# --- reading ---------------------------------------------------------------------------------

def shelter_get(code) -> Facility:
    """The shelter or evacuation site with this 共通ID, or NotFoundError."""
    facility = Facility.objects.select_related("branch_office", "town").filter(
        code=str(code or "")[:40], kind__in=SHELTER_KINDS).first()
    if facility is None:
        raise NotFoundError(gettext_lazy("There is no shelter with this ID."))
    return facility


def crowding_thresholds() -> CrowdingThresholds:
    return CrowdingThresholds.objects.filter(pk=1).first() or CrowdingThresholds(pk=1)


def can_manage_shelters(user) -> bool:
    return can(user, "disaster.manage_shelters")


def can_update_shelter(user, facility: Facility) -> bool:
    """Staff assigned to the shelter, or staff whose role may update any shelter."""
    if not is_staff_member(user):
        return False
    if can(user, "disaster.update_any_shelter"):
        return True
    return ShelterAssignment.objects.filter(facility=facility, staff=user).exists()


def shelter_for_update(user, code) -> Facility:
    """The door to a shelter's update page: the shelter if `user` may update it, else
    PermissionDeniedError (NotFoundError for an unknown 共通ID)."""
    facility = shelter_get(code)
    if not can_update_shelter(user, facility):
        raise PermissionDeniedError(
            gettext_lazy("Only staff assigned to this shelter may update it."))
    return facility


def shelters_for_staff(user):
    """The shelters a staff member is assigned to, with their status."""
    return (Facility.objects.filter(shelter_assignments__staff=user, kind__in=SHELTER_KINDS)
            .select_related("shelter_status", "branch_office")
            .order_by("name_kana", "name"))


def shelters_cache_version() -> dict:
    """{"token": str, "modified": datetime | None}: changes whenever any status changes."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _version_from_database()
        cache.set(VERSION_KEY, version, VERSION_TTL)
    return version


def _version_from_database() -> dict:
    facts = ShelterStatusChange.objects.aggregate(last=Max("pk"), count=Count("pk"))
    status = ShelterStatus.objects.aggregate(modified=Max("updated_at"))
    thresholds = CrowdingThresholds.objects.filter(pk=1).values_list("updated_at", flat=True)
    modified = status["modified"]
    thresholds_at = thresholds[0] if thresholds else None
    token = (f"{facts['last'] or 0}.{facts['count']}."
             f"{int(modified.timestamp() * 1000) if modified else 0}."
             f"{int(thresholds_at.timestamp() * 1000) if thresholds_at else 0}."
             f"{ShelterStatus.objects.count()}")
    return {"token": token, "modified": modified}


def _bump_version() -> None:
    cache.set(VERSION_KEY, _version_from_database(), VERSION_TTL)


# --- status ------------------------------------------------------------------------------------

UPDATE_FIELDS = ("is_open", "crowding", "head_count", "capacity", "pets_allowed", "supplies",
                 "notes")


def _clean_count(value, *, field: str, message) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed(message, field=field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(message, field=field) from None
    if str(number) != str(value).strip() and not isinstance(value, int):
        raise ValidationFailed(message, field=field)
    if number < 0 or number > MAX_HEAD_COUNT:
        raise ValidationFailed(message, field=field)
    return number


def shelter_status_update(*, facility: Facility, actor, is_open: bool | None = None,
                          crowding: str | None = None, head_count=None, capacity=None,
                          pets_allowed: bool | None = None, supplies: str | None = None,
                          notes: str | None = None) -> ShelterStatusChange | None:
    """Change what the public sees about one shelter; None when nothing changed.

    Arguments left as None keep their value. Crowding is set directly, or derived from the
    head count and the capacity with the city's thresholds when only a head count is given.
    Closing a shelter clears its crowding and head count.
    """
    if facility.kind not in SHELTER_KINDS:
        raise NotFoundError(gettext_lazy("There is no shelter with this ID."))
    if not can_update_shelter(actor, facility):
        raise PermissionDeniedError(
            gettext_lazy("Only staff assigned to this shelter may update it."))
    head_count = _clean_count(
        head_count, field="head_count",
        message=gettext_lazy("Enter the number of people as a whole number from 0 to "
                             "100,000."))
    capacity = _clean_count(
        capacity, field="capacity",
        message=gettext_lazy("Enter the capacity as a whole number from 1 to 100,000."))
    if capacity == 0:
        raise ValidationFailed(
            gettext_lazy("Enter the capacity as a whole number from 1 to 100,000."),
            field="capacity")
    if crowding not in (None, "") and crowding not in Crowding.values:
        raise ValidationFailed(gettext_lazy("Choose one of the crowding levels."),
                               field="crowding")
    if supplies is not None and len(supplies) > 300:
        raise ValidationFailed(gettext_lazy("Supplies: at most 300 characters."),
                               field="supplies")
    if notes is not None and len(notes) > 1000:
        raise ValidationFailed(gettext_lazy("Notes: at most 1000 characters."), field="notes")

    with transaction.atomic():
        now = timezone.now()
        status, _created = ShelterStatus.objects.get_or_create(facility=facility)
        status = ShelterStatus.objects.select_for_update().get(pk=status.pk)
        before = {name: getattr(status, name) for name in UPDATE_FIELDS}
        will_be_open = status.is_open if is_open is None else bool(is_open)
        if not will_be_open and (crowding or head_count is not None):
            raise ValidationFailed(
                gettext_lazy("Open the shelter before you set its crowding or head count."),
                field="is_open")
        if capacity is not None:
            status.capacity = capacity
            status.capacity_is_demo = False
        if pets_allowed is not None:
            status.pets_allowed = pets_allowed
        if supplies is not None:
            status.supplies = supplies.strip()
        if notes is not None:
            status.notes = notes.strip()
        if will_be_open:
            if head_count is not None:
                status.head_count = head_count
            if crowding:
                status.crowding = crowding
            elif head_count is not None:
                if not status.capacity:
                    raise ValidationFailed(
                        gettext_lazy("The capacity of this shelter is not known: enter the "
                                     "capacity, or choose the crowding level directly."),
                        field="head_count")
                status.crowding = crowding_thresholds().level_for(
                    head_count=head_count, capacity=status.capacity)
            elif not status.crowding:
                status.crowding = Crowding.AVAILABLE
            if not status.is_open:
                status.opened_at = now
            status.is_open = True
        else:
            status.is_open = False
            status.crowding = ""
            status.head_count = None
        after = {name: getattr(status, name) for name in UPDATE_FIELDS}
        changed = [name for name in UPDATE_FIELDS if before[name] != after[name]]
        if not changed:
            return None
        if before["is_open"] != after["is_open"]:
            event = (ShelterStatusChange.Event.OPENED if after["is_open"]
                     else ShelterStatusChange.Event.CLOSED)
        elif after["crowding"] == Crowding.FULL and before["crowding"] != Crowding.FULL:
            event = ShelterStatusChange.Event.FULL
        else:
            event = ShelterStatusChange.Event.UPDATED
        status.updated_at = now
        status.updated_by = actor
        status.is_demo = False
        status.save()
        change = ShelterStatusChange.objects.create(
            facility=facility, changed_at=now, actor=actor, event=event, fields=changed,
            **after)
        audit_record(actor=actor, action="shelter.status_update", target=facility,
                     details={"event": event, "fields": changed, "change": change.pk,
                              "is_open": after["is_open"], "crowding": after["crowding"]})
        transaction.on_commit(_bump_version)
        if event != ShelterStatusChange.Event.UPDATED:
            transaction.on_commit(lambda: _publish_status_change(change.pk), robust=True)
    return change


# --- staff and thresholds -------------------------------------------------------------------

def _require_manager(actor) -> None:
    if not can_manage_shelters(actor):
        raise PermissionDeniedError()


def shelter_assignment_add(*, facility: Facility, staff, actor,
                           is_demo: bool = False) -> ShelterAssignment:
    """Let `staff` update `facility`. Idempotent."""
    _require_manager(actor)
    if facility.kind not in SHELTER_KINDS:
        raise NotFoundError(gettext_lazy("There is no shelter with this ID."))
    if not is_staff_member(staff):
        raise ValidationFailed(gettext_lazy("Only active staff members can be assigned."),
                               field="staff")
    with transaction.atomic():
        assignment, created = ShelterAssignment.objects.get_or_create(
            facility=facility, staff=staff,
            defaults={"assigned_by": actor if getattr(actor, "pk", None) else None,
                      "is_demo": is_demo})
        if created:
            audit_record(actor=actor, action="shelter.assign", target=facility,
                         details={"staff": staff.pk})
    return assignment


def shelter_assignment_remove(*, facility: Facility, staff, actor) -> bool:
    _require_manager(actor)
    with transaction.atomic():
        deleted, _rows = ShelterAssignment.objects.filter(facility=facility,
                                                         staff=staff).delete()
        if deleted:
            audit_record(actor=actor, action="shelter.unassign", target=facility,
                         details={"staff": staff.pk})
    return bool(deleted)


def crowding_thresholds_set(*, somewhat_crowded_percent, crowded_percent, full_percent,
                            actor) -> CrowdingThresholds:
    """Set the city's crowding thresholds (% of capacity); they apply to the next head
    count entered."""
    _require_manager(actor)
    message = gettext_lazy("Thresholds must be whole numbers with 1 ≤ somewhat crowded < "
                           "crowded < full ≤ 100.")
    values = []
    for field, value in (("somewhat_crowded_percent", somewhat_crowded_percent),
                         ("crowded_percent", crowded_percent), ("full_percent", full_percent)):
        if isinstance(value, bool):
            raise ValidationFailed(message, field=field)
        try:
            values.append(int(value))
        except (TypeError, ValueError):
            raise ValidationFailed(message, field=field) from None
    low, middle, high = values
    if not 1 <= low < middle < high <= 100:
        raise ValidationFailed(message, field="somewhat_crowded_percent")
    with transaction.atomic():
        thresholds = CrowdingThresholds.objects.select_for_update().filter(pk=1).first() \
            or CrowdingThresholds(pk=1)
        before = str(thresholds) if thresholds.updated_at else None
        thresholds.somewhat_crowded_percent, thresholds.crowded_percent, \
            thresholds.full_percent = low, middle, high
        thresholds.updated_at = timezone.now()
        thresholds.updated_by = actor
        thresholds.save()
        audit_record(actor=actor, action="shelter.thresholds_set",
                     target_type="disaster.crowdingthresholds", target_id=1,
                     details={"before": before, "after": str(thresholds)})
        transaction.on_commit(_bump_version)
    return thresholds


# --- notifications ----------------------------------------------------------------------------

def _topic_names(facility: Facility) -> dict[str, str]:
    # A school is often both a shelter and an evacuation site: the kind tells the two apart.
    names = {}
    for language in NOTIFY_LANGUAGES:
        with translation.override(language):
            if facility.kind == Facility.Kind.EVACUATION_SITE:
                names[language] = _("Evacuation site: %(name)s") % {"name": facility.name}
            else:
                names[language] = _("Shelter: %(name)s") % {"name": facility.name}
    return names


def _area_names(office) -> dict[str, str]:
    # The same names the notifications engine gives the area topics it makes itself, so that
    # whichever runs first, the topic keeps one name.
    area = office.name.removesuffix("総合支所").removesuffix("地区") or office.name
    area_en = office.name_en.removesuffix(" Branch Office")
    return {"ja": f"{area}地区のお知らせ", "en": f"{area_en} area",
            "zh-hans": f"{area}地区通知", "ko": f"{area} 지구 소식"}


def shelter_topics_ensure() -> int:
    """Make the notification topics "shelter:<共通ID>" and "area:<branch office code>" exist
    (only when the notifications engine is installed). Idempotent; returns how many."""
    if not apps.is_installed("cityhall.notifications"):
        return 0
    from cityhall.core.models import BranchOffice
    from cityhall.notifications.services import topic_ensure

    count = 0
    # One area per 総合支所; the main city hall serves no area of its own.
    for office in BranchOffice.objects.filter(is_main_office=False):
        topic_ensure(key=f"area:{office.code}", names=_area_names(office), kind="area",
                     area_code=office.code)
        count += 1
    for facility in Facility.objects.filter(kind__in=SHELTER_KINDS).select_related(
            "branch_office"):
        topic_ensure(key=f"shelter:{facility.code}", names=_topic_names(facility),
                     kind="shelter",
                     area_code=facility.branch_office.code if facility.branch_office else "")
        count += 1
    return count


def _status_texts(change: ShelterStatusChange) -> dict[str, dict[str, str]]:
    facility = change.facility
    texts = {}
    for language in NOTIFY_LANGUAGES:
        with translation.override(language):
            values = {"name": facility.name, "address": facility.address}
            if change.event == ShelterStatusChange.Event.OPENED:
                subject = _("Shelter opened: %(name)s") % values
                body = _("%(name)s (%(address)s) is now open as a shelter.") % values
            elif change.event == ShelterStatusChange.Event.CLOSED:
                subject = _("Shelter closed: %(name)s") % values
                body = _("%(name)s (%(address)s) has closed. Please check the list of open "
                         "shelters.") % values
            else:
                subject = _("Shelter full: %(name)s") % values
                body = _("%(name)s (%(address)s) is full. Please go to another open "
                         "shelter.") % values
            texts[language] = {"subject": subject, "body": body}
    return texts


def _publish_status_change(change_id: int) -> None:
    """Tell the subscribers of the shelter and of its area (after commit). The dedupe key is
    the change row's id, so a repeated call sends nothing twice."""
    if not apps.is_installed("cityhall.notifications"):
        return
    from django.conf import settings
    from django.urls import reverse

    from cityhall.notifications.services import message_publish, topic_ensure

    change = ShelterStatusChange.objects.select_related(
        "facility__branch_office", "actor").filter(pk=change_id).first()
    if change is None:
        return
    facility = change.facility
    keys = [f"shelter:{facility.code}"]
    topic_ensure(key=keys[0], names=_topic_names(facility), kind="shelter",
                 area_code=facility.branch_office.code if facility.branch_office else "")
    if facility.branch_office and not facility.branch_office.is_main_office:
        keys.append(f"area:{facility.branch_office.code}")
        topic_ensure(key=keys[1], names=_area_names(facility.branch_office), kind="area",
                     area_code=facility.branch_office.code)
    url = getattr(settings, "PORTAL_URL", "") + reverse("disaster:shelter_detail",
                                                        args=[facility.code])
    message_publish(topic_keys=keys, texts=_status_texts(change), urgent=True,
                    dedupe_key=f"disaster.shelter_status_change:{change.pk}", url=url,
                    actor=change.actor, source="disaster.shelters")


# --- demo data ----------------------------------------------------------------------------------

def shelter_capacities_load_demo() -> int:
    """Give the shelters the invented capacities of `data/shelter_capacities_demo.json`
    (marked capacity_is_demo); a capacity staff entered is kept. Idempotent."""
    rows = json.loads((DATA / "shelter_capacities_demo.json").read_text(encoding="utf-8"))
    count = 0
    with transaction.atomic():
        for code, capacity in rows["capacities"].items():
            facility = Facility.objects.filter(code=code, kind__in=SHELTER_KINDS).first()
            if facility is None:
                continue
            status, created = ShelterStatus.objects.get_or_create(
                facility=facility, defaults={"capacity": capacity, "capacity_is_demo": True,
                                             "is_demo": True})
            if not created and (status.capacity is None or status.capacity_is_demo):
                ShelterStatus.objects.filter(pk=status.pk).update(
                    capacity=capacity, capacity_is_demo=True)
            count += 1
    transaction.on_commit(_bump_version)
    return count


# Invented for the demo: 芝 窓口太郎 (the demo counter clerk of the Shiba branch office) is sent
# to three shelters of the Shiba area, two of which are open.
DEMO_ASSIGNMENTS = {
    "shiba_clerk": ["E1310300033111", "E1310300030111", "E1310300032123"],
}
DEMO_OPEN = {"E1310300033111": 130, "E1310300030111": 300}


def shelter_demo_load() -> str:
    """The invented demo state (idempotent): capacities, the demo clerk's assignments and two
    open shelters."""
    from django.contrib.auth import get_user_model

    from cityhall.core import demo

    capacities = shelter_capacities_load_demo()
    user_model = get_user_model()
    opened = 0
    for key, codes in DEMO_ASSIGNMENTS.items():
        staff = user_model.objects.filter(email=demo.STAFF[key].email).first()
        if staff is None:
            continue
        for code in codes:
            facility = Facility.objects.filter(code=code).first()
            if facility is None:
                continue
            ShelterAssignment.objects.get_or_create(facility=facility, staff=staff,
                                                    defaults={"is_demo": True})
    for code, head_count in DEMO_OPEN.items():
        status = ShelterStatus.objects.filter(facility__code=code).first()
        if status is None or status.updated_at is not None:
            continue  # someone already changed it: leave their state alone
        with transaction.atomic():
            now = timezone.now()
            status.is_open, status.opened_at, status.updated_at = True, now, now
            status.head_count = head_count
            status.crowding = crowding_thresholds().level_for(
                head_count=head_count, capacity=status.capacity or 100)
            status.pets_allowed = True
            status.supplies = "水、毛布、簡易トイレ（デモ）"
            status.notes = "デモ用の架空の開設状況です。"
            status.is_demo = True
            status.save()
            ShelterStatusChange.objects.create(
                facility=status.facility, changed_at=now, event="opened",
                fields=["is_open", "crowding", "head_count"],
                **{name: getattr(status, name) for name in UPDATE_FIELDS})
            audit_record(actor=None, action="shelter.status_update", target=status.facility,
                         details={"event": "opened", "demo": True})
            opened += 1
    transaction.on_commit(_bump_version)
    return f"{capacities} demo shelter capacities, {opened} demo shelters opened"
