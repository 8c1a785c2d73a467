"""Who may publish what in the catalogue (取組27).

Open data officers (role `opendata_editor`, permission `opendata.publish_any_dataset`) edit
every organization's datasets. Staff of a department with the role
`opendata_department_editor` edit the datasets of the organization linked to their own
department (`Organization.department`). Everyone, signed in or not, reads public datasets;
private and draft datasets are seen only by those who may edit them.
"""

import contextlib

from django.db.models import QuerySet

from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can

from .models import Dataset, Organization


def organizations_editable_by(user) -> QuerySet:
    if user is None or not can(user, "opendata.change_dataset"):
        return Organization.objects.none()
    if can(user, "opendata.publish_any_dataset"):
        return Organization.objects.all()
    profile = getattr(user, "staff_profile", None)
    if profile is None or profile.department_id is None:
        return Organization.objects.none()
    return Organization.objects.filter(department_id=profile.department_id)


def may_edit_organization(user, organization: Organization) -> bool:
    return organizations_editable_by(user).filter(pk=organization.pk).exists()


def may_edit_dataset(user, dataset: Dataset) -> bool:
    return may_edit_organization(user, dataset.organization)


def may_see_dataset(user, dataset: Dataset) -> bool:
    if dataset.state == Dataset.State.DELETED:
        return False
    return dataset.is_public or may_edit_dataset(user, dataset)


def find_dataset(id_or_name) -> Dataset:
    """A dataset by its name or its id (CKAN accepts either), deleted ones included."""
    import uuid

    text = str(id_or_name or "").strip()
    lookup = {"name": text}
    with contextlib.suppress(ValueError):
        lookup = {"pk": uuid.UUID(text)}
    try:
        return Dataset.objects.select_related("organization").get(**lookup)
    except Dataset.DoesNotExist:
        raise NotFoundError() from None


def access_dataset(user, id_or_name, *, for_edit: bool = False) -> Dataset:
    """The one door to a dataset: public ones for everybody, private and draft ones for
    their editors. A dataset someone may not see is "not found", never "forbidden", so that
    private names do not leak."""
    dataset = find_dataset(id_or_name)
    if not may_see_dataset(user, dataset):
        raise NotFoundError()
    if for_edit and not may_edit_dataset(user, dataset):
        raise PermissionDeniedError()
    return dataset
