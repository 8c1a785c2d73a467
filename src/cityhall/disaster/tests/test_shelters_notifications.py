"""Integration with the notifications engine (the contract in the issue-5 brief): topics
"shelter:<共通ID>" and "area:<branch office code>" made by the reference loader, and an urgent
message in ja/en/zh-hans/ko published after commit when a shelter opens, closes or becomes
full (never for other updates, and never twice for one change). Skipped where the engine is
not installed."""

import pytest

pytest.importorskip("cityhall.notifications")

from django.apps import apps

from cityhall.disaster import services
from cityhall.disaster.models import ShelterStatusChange

from .shelters_fixtures import ONARIMON_JHS, shelter

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not apps.is_installed("cityhall.notifications"),
                       reason="the notifications engine is not in INSTALLED_APPS"),
]


def messages():
    from cityhall.notifications.models import Message

    return Message.objects.all()


def topic_keys():
    from cityhall.notifications.models import Topic

    return set(Topic.objects.values_list("key", flat=True))


def test_topics_for_every_shelter_and_area(minato):
    count = services.shelter_topics_ensure()
    assert count == 5 + 144  # the five 総合支所 areas, and every place
    keys = topic_keys()
    assert f"shelter:{ONARIMON_JHS}" in keys
    assert {"area:shiba", "area:azabu", "area:akasaka", "area:takanawa",
            "area:shibaura-konan"} <= keys
    assert "area:main" not in keys
    assert services.shelter_topics_ensure() == count  # idempotent
    assert topic_keys() == keys


def test_a_place_that_is_both_shelter_and_site_has_two_topics_told_apart(minato):
    from cityhall.core.models import Facility
    from cityhall.notifications.models import Topic

    services.shelter_topics_ensure()
    # 南山小学校 is a designated shelter and an emergency evacuation site.
    places = Facility.objects.filter(name="南山小学校").order_by("kind")
    assert sorted(places.values_list("kind", flat=True)) == ["evacuation_site", "shelter"]
    names = {place.kind: Topic.objects.get(key=f"shelter:{place.code}").names
             for place in places}
    assert names["shelter"]["ja"] == "避難所：南山小学校"
    assert names["evacuation_site"]["en"] == "Evacuation site: 南山小学校"
    assert names["evacuation_site"]["ja"] != names["shelter"]["ja"]


def test_broad_topics_come_before_the_shelters_on_the_subscribe_form(minato):
    from cityhall.notifications.forms import PreferencesForm

    services.shelter_topics_ensure()
    kinds = [topic.kind for topic in PreferencesForm().fields["topics"].queryset]
    assert kinds[0] == "disaster"
    first_shelter = kinds.index("shelter")
    assert set(kinds[first_shelter:]) == {"shelter"}
    assert {"area", "childcare", "events"} <= set(kinds[:first_shelter])


def test_opening_full_and_closing_publish_urgent_messages(manager, on_commit):
    services.shelter_topics_ensure()
    facility = shelter()
    changes = []
    for kwargs in ({"is_open": True}, {"crowding": "crowded"}, {"crowding": "full"},
                   {"is_open": False}):
        with on_commit():
            changes.append(services.shelter_status_update(facility=facility, actor=manager,
                                                          **kwargs))
    published = list(messages().order_by("pk"))
    assert len(published) == 3  # opened, full, closed; "crowded" is an ordinary update
    for message, change in zip(published, [changes[0], changes[2], changes[3]], strict=True):
        assert message.dedupe_key == f"disaster.shelter_status_change:{change.pk}"
        assert message.urgent is True


def test_nothing_is_published_before_commit_or_twice(manager, django_capture_on_commit_callbacks):
    from cityhall.disaster.services.shelters import _publish_status_change

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    assert messages().count() == 0
    for callback in callbacks:
        callback()
    assert messages().count() == 1
    _publish_status_change(change.pk)  # a retry: the dedupe key returns the same message
    assert messages().count() == 1
    assert ShelterStatusChange.objects.count() == 1


def test_texts_in_four_languages(manager, on_commit):
    from cityhall.disaster.services.shelters import _status_texts

    with on_commit():
        change = services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    texts = _status_texts(change)
    assert set(texts) == {"ja", "en", "zh-hans", "ko"}
    assert all(text["subject"] and "御成門中学校" in text["body"] for text in texts.values())
    assert len({text["subject"] for text in texts.values()}) == 4
