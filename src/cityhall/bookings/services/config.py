"""Configuration of the bookings engine: resources saved from the admin, the reference data
loaded from `data/minato_resources.json`, and the record of staff exports."""

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..models import PricedItem, Resource

# --- configuration ------------------------------------------------------------------------

def resource_save(*, resource: Resource, actor) -> Resource:
    """Save a resource's settings (admin); audited. Slots already made keep their capacity:
    a new capacity applies to slots made from now on."""
    if not can(actor, "bookings.change_resource" if resource.pk else "bookings.add_resource"):
        raise PermissionDeniedError()
    if resource.area_id and resource.facility_id:
        raise ValidationFailed(_("A resource is either at a facility or serves an area, not "
                                 "both."), field="area")
    with transaction.atomic():
        resource.save()
        audit_record(actor=actor, action="booking.resource_save", target=resource,
                     details={"code": resource.code})
    return resource


# --- reference data -----------------------------------------------------------------------

def resources_import(*, data: dict, actor=None) -> dict:
    """Create or update bookable resources, their hours and priced items from a data file
    (`data/minato_resources.json`); idempotent. Staff-made changes to a resource's rules in
    the admin are overwritten only for resources named in the file."""
    from cityhall.core.models import BranchOffice, Department, Facility, Town

    counts = {"resources": 0, "items": 0, "facilities": 0}
    with transaction.atomic():
        for row in data.get("facilities", []):
            fields = {k: v for k, v in row.items() if k not in ("code", "town")}
            town_name, chome = row["town"]
            fields["town"] = Town.objects.select_related("branch_office").get(
                name=town_name, chome=chome)
            fields["branch_office"] = fields["town"].branch_office
            fields["municipality"] = fields["town"].municipality
            Facility.objects.update_or_create(code=row["code"], defaults=fields)
            counts["facilities"] += 1
        for row in data.get("resources", []):
            row = dict(row)
            hours = row.pop("opening_hours", [])
            for key, model in (("facility", Facility), ("area", BranchOffice),
                               ("department", Department)):
                if row.get(key):
                    row[key] = model.objects.get(code=row[key])
            resource, _created = Resource.objects.update_or_create(
                code=row.pop("code"), defaults=row)
            resource.opening_hours.all().delete()
            for window in hours:
                for weekday in window["weekdays"]:
                    resource.opening_hours.create(
                        weekday=weekday, opens=datetime.time.fromisoformat(window["opens"]),
                        closes=datetime.time.fromisoformat(window["closes"]))
            counts["resources"] += 1
        for row in data.get("priced_items", []):
            PricedItem.objects.update_or_create(
                kind=row["kind"], code=row["code"],
                defaults={k: v for k, v in row.items() if k not in ("kind", "code")})
            counts["items"] += 1
    return counts


def bookings_export_record(*, resource: Resource, rows: int, actor,
                           start: datetime.date | None = None,
                           end: datetime.date | None = None) -> None:
    """Record that staff downloaded the bookings (names of residents) of a resource."""
    if not can(actor, "bookings.view_booking"):
        raise PermissionDeniedError()
    details = {"code": resource.code, "rows": rows}
    if start is not None and end is not None:
        details.update({"from": start.isoformat(), "until": end.isoformat()})
    with transaction.atomic():
        audit_record(actor=actor, action="booking.export", target=resource, details=details)
