"""Organizations and themes kept by the open data officers (the admin saves through
`services.organization_save` / `group_save`): who may, what is checked, and that datasets
become findable by a theme's new title."""

import pytest

from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.opendata import services
from cityhall.opendata.models import Group
from cityhall.opendata.selectors import dataset_search

from .factories import dataset

pytestmark = pytest.mark.django_db


def test_officer_renames_a_theme_and_its_datasets_follow(officer):
    theme = services.group_ensure(name="bousai", title="防災")
    row = dataset(title="避難所一覧", groups=["bousai"])
    theme.title = "防災・減災"
    services.group_save(group=theme, actor=officer)
    assert Group.objects.get(name="bousai").title == "防災・減災"
    assert [found.name for found in dataset_search(q="減災").datasets] == [row.name]
    assert AuditEvent.objects.filter(action="opendata.group_update", actor=officer).exists()


def test_new_theme_needs_a_proper_name_and_title(officer):
    with pytest.raises(ValidationFailed):
        services.group_save(group=Group(name="Bad Name", title="子育て"), actor=officer)
    with pytest.raises(ValidationFailed):
        services.group_save(group=Group(name="kosodate", title="  "), actor=officer)
    assert not Group.objects.filter(title="子育て").exists()
    services.group_save(group=Group(name="kosodate", title="子育て"), actor=officer)
    assert Group.objects.filter(name="kosodate").exists()


def test_department_editors_and_clerks_may_not(disaster_editor, clerk):
    theme = services.group_ensure(name="bousai", title="防災")
    for actor in (disaster_editor, clerk):
        theme.title = "変更"
        with pytest.raises(PermissionDeniedError):
            services.group_save(group=theme, actor=actor)
    assert Group.objects.get(name="bousai").title == "防災"


def test_officer_edits_an_organization(officer):
    row = dataset(title="避難所一覧")
    organization = row.organization
    organization.title_en = "Disaster Management Office"
    services.organization_save(organization=organization, actor=officer)
    assert [found.name for found in dataset_search(q="disaster management office").datasets] \
        == [row.name]


def test_admin_pages_answer(client, officer):
    client.force_login(officer)
    assert client.get("/admin/opendata/group/").status_code == 200
    assert client.get("/admin/opendata/organization/").status_code == 200
