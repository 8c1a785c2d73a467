"""The 5G base-station page (取組30): who may mark a facility as offered to carriers, what is
recorded, and the facility appearing in the live 5G list."""

import pytest
from django.urls import reverse

from cityhall.core.models import AuditEvent, Facility
from cityhall.opendata import providers
from cityhall.opendata import standards as std

from .live_helpers import live_rows

pytestmark = pytest.mark.django_db

URL = "/opendata/staff/base-stations"
LIST = "131032-5g-base-station-site"


def _library():
    return Facility.objects.get(code="minato-lib-mita") if Facility.objects.filter(
        code="minato-lib-mita").exists() else Facility.objects.filter(
        kind=Facility.Kind.SHELTER).order_by("code").first()


def _post(client, facility, **values):
    data = {"facility": facility.pk, f"f{facility.pk}-offer": "offered",
            f"f{facility.pk}-places": "屋上;壁面", f"f{facility.pk}-conditions": "夜間工事不可"}
    data.update({f"f{facility.pk}-{key}": value for key, value in values.items()})
    return client.post(URL, data)


def _state(facility):
    return Facility.objects.filter(pk=facility.pk).values(
        "base_station_offer", "base_station_places", "base_station_conditions").get()


def test_the_address_is_named():
    assert reverse("opendata:staff_base_stations") == URL


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, minato):
    facility = _library()
    before = _state(facility)
    assert client.get(URL).status_code == 302
    response = _post(client, facility)
    assert response.status_code == 302 and "login" in response["Location"]
    assert _state(facility) == before


def test_staff_without_the_permission_are_refused(client, clerk):
    facility = _library()
    before = _state(facility)
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    assert _post(client, facility).status_code == 403
    assert _state(facility) == before
    assert not AuditEvent.objects.filter(action="facility.base_station_set").exists()


def test_the_officer_offers_a_facility_and_it_is_published(client, officer):
    facility = _library()
    client.force_login(officer)
    page = client.get(URL, {"kind": facility.kind})
    assert page.status_code == 200
    assert facility.name in page.content.decode()
    response = _post(client, facility)
    assert response.status_code == 302
    assert _state(facility) == {"base_station_offer": "offered",
                                "base_station_places": "屋上;壁面",
                                "base_station_conditions": "夜間工事不可"}
    event = AuditEvent.objects.get(action="facility.base_station_set")
    assert event.actor_id == officer.pk
    assert event.details == {"offer": "offered", "before": "unknown"}
    providers.live_publish()
    header, *rows = live_rows(LIST)
    assert header == std.BASE_STATION_COLUMNS
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert (row["全国地方公共団体コード"], row["ID"], row["名称"]) == (
        "131032", std.stable_id(facility.code), facility.name)
    assert (row["設置可能箇所"], row["条件"]) == ("屋上;壁面", "夜間工事不可")
    assert row["問合せ先"] == "東京都港区企画経営部 情報政策課"
    # Withdrawn again: the next refresh drops it from the list.
    _post(client, facility, offer="not_offered")
    providers.live_publish()
    assert live_rows(LIST) == [std.BASE_STATION_COLUMNS]


def test_bad_input_is_refused_and_changes_nothing(client, officer):
    facility = _library()
    before = _state(facility)
    client.force_login(officer)
    response = _post(client, facility, offer="maybe")
    assert response.status_code == 400
    assert "Error:" in response.content.decode() or "エラー" in response.content.decode()
    assert _post(client, facility, places="x" * 201).status_code == 400
    assert client.post(URL, {"facility": "999999"}).status_code == 400
    assert client.post(URL, {"facility": "abc"}).status_code == 400
    assert _state(facility) == before
    assert not AuditEvent.objects.filter(action="facility.base_station_set").exists()


def test_the_list_filters_by_kind_and_offer(client, officer):
    client.force_login(officer)
    response = client.get(URL, {"kind": "shelter", "offer": "offered"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert client.get(URL, {"kind": "nonsense"}).status_code == 200
