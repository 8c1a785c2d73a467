"""The dicts of the CKAN Action API (取組27): datasets ("packages"), resources, organizations,
groups, tags and licences in the shape CKAN's own API gives them (ckan/logic/schema and
ckan/lib/dictization), so that harvesters and clients read them without a mapping of their
own. Our fields that CKAN has no key for travel as `extras` ({key, value}), as CKAN does.

Every function here only reads: visibility is decided by the caller (the actions use
`permissions.access_dataset` and `selectors.dataset_search`).
"""

from datetime import UTC, datetime

from ..licences import LICENCES, licence_title
from ..links import resource_download_url
from ..models import Dataset, Group, Organization, Resource

# Our fields that CKAN's core schema has no key for: they are `extras` in both directions.
EXTRA_FIELDS = ("title_en", "notes_en", "update_frequency", "spatial", "temporal_start",
                "temporal_end", "contact_phone", "standard")


def iso(moment: datetime | None) -> str | None:
    """CKAN's timestamps: naive ISO 8601 in UTC with microseconds, "2024-07-10T08:50:56.869604"."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def resource_url(request, resource: Resource) -> str:
    if resource.kind == Resource.Kind.LINK:
        return resource.url
    return request.build_absolute_uri(resource_download_url(resource))


def resource_dict(request, resource: Resource, *, position: int | None = None) -> dict:
    return {
        "id": str(resource.pk),
        "package_id": str(resource.dataset_id),
        "url": resource_url(request, resource),
        "name": resource.name,
        "name_en": resource.name_en,
        "description": resource.description,
        "format": resource.format,
        "mimetype": resource.mimetype or None,
        "mimetype_inner": None,
        "size": resource.size,
        "hash": resource.hash,
        "created": iso(resource.created),
        "last_modified": iso(resource.last_modified),
        "metadata_modified": iso(resource.last_modified),
        "position": resource.position if position is None else position,
        "state": resource.state,
        # CKAN says "upload" for files it serves itself; a link has no url_type.
        "url_type": None if resource.kind == Resource.Kind.LINK else "upload",
        "resource_type": None,
        "cache_url": None,
        "datastore_active": False,
    }


def active_resources(dataset: Dataset) -> list[Resource]:
    rows = [row for row in dataset.resources.all() if row.state == Dataset.State.ACTIVE]
    rows.sort(key=lambda row: (row.position, row.created))
    return rows


def organization_summary(organization: Organization) -> dict:
    """The organization as it is embedded in a dataset."""
    return {
        "id": str(organization.pk),
        "name": organization.name,
        "title": organization.title,
        "type": "organization",
        "description": organization.description,
        "image_url": "",
        "created": iso(organization.created),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def group_summary(group: Group) -> dict:
    return {
        "id": str(group.pk),
        "name": group.name,
        "title": group.title,
        "display_name": group.title or group.name,
        "description": group.description,
        "image_display_url": "",
    }


def tag_dict(tag) -> dict:
    return {"id": str(tag.pk), "name": tag.name, "display_name": tag.name,
            "state": "active", "vocabulary_id": None}


def _extra_value(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dataset_extras(dataset: Dataset) -> list[dict]:
    extras = []
    for key in EXTRA_FIELDS:
        value = _extra_value(getattr(dataset, key))
        if value:
            extras.append({"key": key, "value": value})
    if dataset.live_key:
        extras.append({"key": "live", "value": "true"})
    return sorted(extras, key=lambda extra: extra["key"])


def dataset_dict(request, dataset: Dataset) -> dict:
    """A dataset as CKAN's package_show gives it. Expects organization, tags, groups and
    resources to be loaded (select_related / prefetch_related) for lists."""
    licence = LICENCES.get(dataset.license_id)
    organization = dataset.organization
    tags = sorted(dataset.tags.all(), key=lambda tag: tag.name)
    groups = sorted(dataset.groups.all(), key=lambda group: group.name)
    resources = [resource_dict(request, row, position=number)
                 for number, row in enumerate(active_resources(dataset))]
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "url": dataset.url,
        "version": dataset.version,
        "state": dataset.state,
        "type": "dataset",
        "private": dataset.private,
        "license_id": dataset.license_id,
        "license_title": licence_title(dataset.license_id),
        "license_url": licence.url if licence else "",
        "isopen": bool(licence and licence.is_open),
        # The publishing organization is the author; the contact person its maintainer.
        "author": organization.title,
        "author_email": organization.email,
        "maintainer": dataset.contact_name,
        "maintainer_email": dataset.contact_email,
        "owner_org": str(organization.pk),
        "organization": organization_summary(organization),
        "metadata_created": iso(dataset.metadata_created),
        "metadata_modified": iso(dataset.metadata_modified),
        "tags": [tag_dict(tag) for tag in tags],
        "groups": [group_summary(group) for group in groups],
        "extras": dataset_extras(dataset),
        "resources": resources,
        "num_resources": len(resources),
        "num_tags": len(tags),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def organization_dict(organization: Organization, *, package_count: int) -> dict:
    return {
        **organization_summary(organization),
        "display_name": organization.title or organization.name,
        "title_en": organization.title_en,
        "image_display_url": "",
        "package_count": package_count,
        "num_followers": 0,
        "extras": [],
        "groups": [],
        "tags": [],
        "users": [],
    }


def group_dict(group: Group, *, package_count: int) -> dict:
    return {
        **group_summary(group),
        "title_en": group.title_en,
        "type": "group",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
        "created": iso(group.created),
        "image_url": "",
        "package_count": package_count,
        "num_followers": 0,
        "extras": [],
        "groups": [],
        "tags": [],
        "users": [],
    }


def licence_dict(licence) -> dict:
    return {
        "id": licence.id,
        "title": licence.title,
        "url": licence.url,
        "status": "active",
        "maintainer": "",
        "family": "",
        "od_conformance": licence.od_conformance,
        "osd_conformance": "not reviewed",
        "is_okd_compliant": licence.is_open,
        "is_osi_compliant": False,
        "domain_content": True,
        "domain_data": True,
        "domain_software": False,
        "is_generic": False,
    }
