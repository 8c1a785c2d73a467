"""Adding a child to an online nursery application from the family's own immunisation records
(取組7 with 取組23, ワンスオンリー): the resident's recorded children are offered, one chosen fills
in the form, a child already in the application is not offered again, and another family's
child is never offered nor filled in."""

import datetime

import pytest
from django.urls import reverse

from cityhall.childcare.services import immunisation, online

pytestmark = pytest.mark.django_db


def record(resident, name, kana, born):
    return immunisation.child_add(actor=resident.user, name=name, name_kana=kana, sex="",
                                  date_of_birth=datetime.date.fromisoformat(born))


def new_child_url(round_) -> str:
    return reverse("childcare:my_child_new", args=[round_.pk])


def test_a_recorded_child_fills_in_the_form(client, open_round, hanako):
    ichiro = record(hanako, "港 一郎", "みなと いちろう", "2026-05-10")
    online.online_application_start(round=open_round, actor=hanako.user)
    client.force_login(hanako.user)
    page = client.get(new_child_url(open_round)).content.decode()
    assert f'href="?record={ichiro.pk}"' in page
    page = client.get(new_child_url(open_round), {"record": ichiro.pk}).content.decode()
    assert 'value="港 一郎"' in page and 'value="みなと いちろう"' in page
    assert 'value="2026-05-10"' in page
    # Sent as filled in: the child is in the application and no longer offered.
    response = client.post(new_child_url(open_round), {
        "child_name": "港 一郎", "child_name_kana": "みなと いちろう",
        "date_of_birth": "2026-05-10", "current_nursery": ""})
    assert response.status_code == 302
    page = client.get(new_child_url(open_round)).content.decode()
    assert f"?record={ichiro.pk}" not in page


def test_another_familys_child_is_never_offered_nor_filled_in(
        client, open_round, hanako, taro):
    theirs = record(taro, "麻布 太一", "あざぶ たいち", "2025-06-01")
    online.online_application_start(round=open_round, actor=hanako.user)
    client.force_login(hanako.user)
    page = client.get(new_child_url(open_round)).content.decode()
    assert "麻布 太一" not in page
    for bad in (theirs.pk, "x", "99999999999999999999", ""):
        response = client.get(new_child_url(open_round), {"record": bad})
        assert response.status_code == 200 and "麻布 太一" not in response.content.decode()
