"""Every write of core: plain keyword-only functions, one transaction each, the actor explicit,
the audit event written in the same transaction (DESIGN.md)."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .errors import PermissionDeniedError, ValidationFailed
from .models import Consent, ResidentProfile, StaffProfile, Town

PROFILE_FIELDS = ["family_name", "given_name", "family_name_kana", "given_name_kana",
                  "date_of_birth", "town", "block_number", "phone", "preferred_language",
                  "accessibility_needs"]


def sequence_next(*, sequence: str, year: int) -> int:
    """The next number of a gap-free yearly sequence. Call it inside the transaction that uses
    the number: the counter row stays locked until that transaction ends, so a rolled-back
    write gives its number back and two web nodes never take the same one."""
    from django.db.models import F

    from .models import YearCounter

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside the transaction that uses the number")
    counter, _created = YearCounter.objects.select_for_update().get_or_create(
        sequence=sequence, year=year)
    YearCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return counter.last


def _validate_profile(data: dict) -> None:
    dob = data.get("date_of_birth")
    if isinstance(dob, datetime.date):
        today = timezone.localdate()
        if dob > today:
            raise ValidationFailed(_("The date of birth cannot be in the future."),
                                   field="date_of_birth")
        if dob.year < today.year - 130:
            raise ValidationFailed(_("Please check the year of birth."), field="date_of_birth")
    needs = data.get("accessibility_needs") or []
    allowed = set(ResidentProfile.AccessibilityNeed.values)
    if any(need not in allowed for need in needs):
        raise ValidationFailed(_("Unknown accessibility need."), field="accessibility_needs")
    town = data.get("town")
    if town is not None and not isinstance(town, Town):
        raise ValidationFailed(_("Please choose a town in this city."), field="town")


def resident_profile_save(*, user, data: dict, actor) -> ResidentProfile:
    """Create or correct the resident profile of `user`. Residents change only their own."""
    if actor.pk != user.pk:
        raise PermissionDeniedError()
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field."), field=sorted(unknown)[0])
    _validate_profile(data)
    with transaction.atomic():
        profile = ResidentProfile.objects.select_for_update().filter(user=user).first()
        created = profile is None
        if created:
            profile = ResidentProfile(user=user)
        changed = [name for name in PROFILE_FIELDS
                   if name in data and getattr(profile, name, None) != data[name]]
        if not created and not changed:
            return profile
        for name in PROFILE_FIELDS:
            if name in data:
                setattr(profile, name, data[name])
        profile.full_clean()
        profile.save()
        # The fields that changed are recorded, never their values: the log holds no
        # personal data beyond who and when.
        audit_record(actor=actor, action="resident.create" if created else "resident.update",
                     target=profile, details={"fields": sorted(changed)})
    return profile


def consent_set(*, resident: ResidentProfile, purpose: str, granted: bool, actor) -> None:
    if actor.pk != resident.user_id:
        raise PermissionDeniedError()
    if purpose not in Consent.Purpose.values:
        raise ValidationFailed(_("Unknown consent purpose."), field="purpose")
    with transaction.atomic():
        active = Consent.objects.select_for_update().filter(
            resident=resident, purpose=purpose, withdrawn_at__isnull=True).first()
        if granted and active is None:
            Consent.objects.create(resident=resident, purpose=purpose)
            audit_record(actor=actor, action="consent.grant", target=resident,
                         details={"purpose": purpose})
        elif not granted and active is not None:
            active.withdrawn_at = timezone.now()
            active.save(update_fields=["withdrawn_at"])
            audit_record(actor=actor, action="consent.withdraw", target=resident,
                         details={"purpose": purpose})


def resident_data_export(*, user, actor) -> dict:
    """Everything cityhall holds about the resident, as a JSON-ready dict (APPI 開示請求)."""
    if actor.pk != user.pk:
        raise PermissionDeniedError()
    profile = ResidentProfile.objects.filter(user=user).select_related("town").first()
    data: dict = {
        "account": {"email": user.email, "date_joined": user.date_joined.isoformat(),
                    "last_login": user.last_login.isoformat() if user.last_login else None},
        "profile": None,
        "consents": [],
        "exported_at": timezone.now().isoformat(),
    }
    if profile:
        data["profile"] = {
            "family_name": profile.family_name, "given_name": profile.given_name,
            "family_name_kana": profile.family_name_kana,
            "given_name_kana": profile.given_name_kana,
            "date_of_birth": profile.date_of_birth.isoformat(),
            "town": profile.town.label, "block_number": profile.block_number,
            "phone": profile.phone, "preferred_language": profile.preferred_language,
            "accessibility_needs": profile.accessibility_needs,
        }
        data["consents"] = [
            {"purpose": c.purpose, "granted_at": c.granted_at.isoformat(),
             "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}
            for c in profile.consents.order_by("granted_at")
        ]
    with transaction.atomic():
        audit_record(actor=actor, action="resident.export", target=user)
    return data


def account_delete(*, user, actor) -> None:
    """Delete a resident's account and profile. Staff accounts are closed by an administrator,
    not by this self-service path."""
    if actor.pk != user.pk:
        raise PermissionDeniedError()
    if user.is_staff:
        raise ValidationFailed(_("Staff accounts are closed by a system administrator."))
    with transaction.atomic():
        audit_record(actor=None, action="account.delete", target_type="core.user",
                     target_id=user.pk, details={"self_service": True})
        user.delete()


def sync_roles() -> list[Group]:
    """Make the role groups carry exactly the permissions listed in `permissions.ROLES`."""
    from .permissions import ROLES
    from .registry import registered_role_permissions

    groups = []
    with transaction.atomic():
        for name, role in ROLES.items():
            group, _created = Group.objects.get_or_create(name=name)
            perms = []
            for dotted in sorted({*role["permissions"], *registered_role_permissions(name)}):
                app_label, codename = dotted.split(".")
                perms.append(Permission.objects.get(content_type__app_label=app_label,
                                                    codename=codename))
            group.permissions.set(perms)
            groups.append(group)
    return groups


def staff_member_create(*, email: str, password: str | None, display_name: str, branch_office,
                        roles: list[str], department=None, is_superuser: bool = False,
                        is_demo: bool = False, actor=None) -> StaffProfile:
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, is_staff=True,
                                            is_superuser=is_superuser, is_demo=is_demo)
        user.groups.set(Group.objects.filter(name__in=roles))
        profile, _created = StaffProfile.objects.update_or_create(
            user=user, defaults={"display_name": display_name, "branch_office": branch_office,
                                 "department": department})
        audit_record(actor=actor, action="staff.save", target=user,
                     details={"roles": sorted(roles), "branch_office": branch_office.code})
    return profile


# --- reference data ------------------------------------------------------------------------

HAZARD_COLUMNS = {
    "洪水": "flood", "崖崩れ、土石流及び地滑り": "landslide", "高潮": "storm_surge",
    "地震": "earthquake", "津波": "tsunami", "大規模な火事": "large_fire",
    "内水氾濫": "inland_flood", "火山現象": "volcano",
}
GSI_SOURCE = "出典：国土地理院「指定緊急避難場所・指定避難所データ」"


def municipality_import(*, data: dict):
    """Create or update the municipality, its offices, departments and towns from a dict in
    the shape of `data/minato/municipality.json`. Safe to run again."""
    from .models import BranchOffice, Department, Municipality

    with transaction.atomic():
        info = data["municipality"]
        municipality, _created = Municipality.objects.update_or_create(
            code=info["code"], defaults={k: v for k, v in info.items() if k != "code"})
        offices = {}
        for row in data["branch_offices"]:
            offices[row["code"]], _created = BranchOffice.objects.update_or_create(
                code=row["code"], defaults={**{k: v for k, v in row.items() if k != "code"},
                                            "municipality": municipality})
        for row in data["departments"]:
            Department.objects.update_or_create(code=row["code"], defaults={
                "name": row["name"], "name_en": row["name_en"], "municipality": municipality,
                "branch_office": offices.get(row["branch_office"])})
        for row in data["towns"]:
            Town.objects.update_or_create(
                municipality=municipality, name=row["name"], chome=row["chome"],
                defaults={"name_kana": row["name_kana"], "name_en": row["name_en"],
                          "branch_office": offices[row["branch_office"]]})
    return municipality


def shelters_import(*, municipality, shelters: dict, evacuation_sites: dict) -> int:
    """Create or update the designated shelters and emergency evacuation sites from the GSI
    GeoJSON files. Returns how many facilities were written. Safe to run again."""
    from .models import Facility
    from .selectors import find_town_in_address

    written = 0
    with transaction.atomic():
        for kind, collection in ((Facility.Kind.SHELTER, shelters),
                                 (Facility.Kind.EVACUATION_SITE, evacuation_sites)):
            for feature in collection["features"]:
                props = feature["properties"]
                longitude, latitude = feature["geometry"]["coordinates"]
                town = find_town_in_address(props["住所"])
                accessibility = []
                if "要支援者" in (props.get("受入対象者") or ""):
                    accessibility.append("welfare_shelter")
                hazards = [code for column, code in HAZARD_COLUMNS.items()
                           if props.get(column) == "1"]
                Facility.objects.update_or_create(code=props["共通ID"], defaults={
                    "municipality": municipality, "name": props["施設・場所名"],
                    "kind": kind, "address": props["住所"], "town": town,
                    "branch_office": town.branch_office if town else None,
                    "latitude": round(latitude, 6), "longitude": round(longitude, 6),
                    "accessibility": accessibility, "hazards": hazards,
                    "attributes": {k: v for k, v in props.items() if v not in (None, "")},
                    "source": GSI_SOURCE, "is_demo": False})
                written += 1
    return written


# --- facilities ------------------------------------------------------------------------------

BASE_STATION_PERMISSION = "core.change_facility"


def facility_base_station_set(*, facility, actor, offer: str, places: str = "",
                              conditions: str = ""):
    """Record whether the ward offers `facility` to mobile carriers for 5G base stations
    (取組30), where on it and on what conditions. Staff who may change facilities only;
    audited. The open data catalogue publishes the offered ones."""
    from .models import Facility
    from .permissions import can

    if not can(actor, BASE_STATION_PERMISSION):
        raise PermissionDeniedError()
    if offer not in Facility.BaseStationOffer.values:
        raise ValidationFailed(_("Choose whether the facility is offered."), field="offer")
    places = " ".join(str(places or "").split())
    conditions = str(conditions or "").strip()
    if len(places) > 200:
        raise ValidationFailed(_("Write at most 200 characters for the places."),
                               field="places")
    if len(conditions) > 1000:
        raise ValidationFailed(_("Write at most 1,000 characters for the conditions."),
                               field="conditions")
    with transaction.atomic():
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        before = facility.base_station_offer
        facility.base_station_offer = offer
        facility.base_station_places = places
        facility.base_station_conditions = conditions
        facility.save(update_fields=["base_station_offer", "base_station_places",
                                     "base_station_conditions", "updated_at"])
        audit_record(actor=actor, action="facility.base_station_set", target=facility,
                     details={"offer": offer, "before": before})
    return facility
