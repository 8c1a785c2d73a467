"""Factories of the opendata tests (取組27): organizations for real departments, datasets and
resources made through the services, and the staff who publish them."""

import itertools

from cityhall.core.models import Department
from cityhall.core.tests.factories import StaffFactory
from cityhall.opendata import services
from cityhall.opendata.models import Dataset, Organization

_numbers = itertools.count(1)


def organization(code: str = "disaster-management") -> Organization:
    return services.organization_for_department(department=Department.objects.get(code=code))


def dataset(*, organization_code: str = "disaster-management", name: str | None = None,
            title: str = "避難所一覧", tags=("防災",), groups=None, private: bool = False,
            state: str = "active", **values) -> Dataset:
    """A dataset published by the platform (actor None), so tests need no staff for it."""
    number = next(_numbers)
    return services.dataset_create(
        actor=None, organization=organization(organization_code),
        name=name or f"test-dataset-{number}", title=title, tags=list(tags),
        groups=groups, private=private, state=state, **values)


def csv_resource(dataset_row: Dataset, content: bytes = "名称,緯度\n芝公園,35.65\n".encode(),
                 name: str = "一覧 (CSV)"):
    return services.resource_create(actor=None, dataset=dataset_row, name=name,
                                    upload=content, filename="list.csv")


def opendata_staff(*, roles=("opendata_editor",), department="it-policy", email=None):
    return StaffFactory(roles=roles, department=department, branch_office="main",
                        **({"email": email} if email else {}))
