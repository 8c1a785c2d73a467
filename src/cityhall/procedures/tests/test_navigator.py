"""The life-event navigator: the checklist, its deadlines, missing answers, bad input, saving
it to an account, and nobody seeing another resident's checklists."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.core.models import AuditEvent
from cityhall.procedures.models import LifeEvent, SavedChecklist
from cityhall.procedures.selectors import checklist

pytestmark = pytest.mark.django_db
D = datetime.date


def codes(items, *, certain=None):
    return [item.procedure.code for item in items
            if certain is None or item.certain is certain]


def birth():
    return LifeEvent.objects.get(code="birth")


def test_birth_checklist_in_order_with_deadlines(minato):
    items = checklist(life_event=birth(), answers={"insurance": "employee",
                                                   "birth_weight_grams": 3100,
                                                   "is_single_parent": False,
                                                   "wants_nursery": False},
                      event_date=D(2026, 4, 1))
    found = codes(items)
    assert found[0] == "birth-registration"
    assert "nhi-enrolment" not in found          # employer's insurance: not needed
    assert "low-birth-weight-notification" not in found  # 3,100 g
    assert all(item.certain for item in items)
    by_code = {item.procedure.code: item for item in items}
    assert by_code["birth-registration"].deadline == D(2026, 4, 14)   # day of birth counts
    assert by_code["child-allowance"].deadline == D(2026, 4, 16)      # 15 days after
    steps = [item.rule.step for item in items]
    assert steps == sorted(steps)


def test_answers_decide_what_is_listed(minato):
    items = checklist(life_event=birth(), answers={"insurance": "nhi",
                                                   "birth_weight_grams": 2300},
                      event_date=None)
    found = codes(items, certain=True)
    assert "nhi-enrolment" in found and "low-birth-weight-notification" in found
    assert all(item.deadline is None for item in items)  # no date given: no dates computed


def test_an_unanswered_question_widens_the_list_and_never_fails(minato):
    everything = checklist(life_event=birth(), answers={}, event_date=D(2026, 4, 1))
    answered = checklist(life_event=birth(), answers={"insurance": "employee",
                                                      "birth_weight_grams": 3100,
                                                      "is_single_parent": False,
                                                      "wants_nursery": False},
                         event_date=D(2026, 4, 1))
    assert set(codes(answered)) < set(codes(everything))
    maybe = codes(everything, certain=False)
    assert "nhi-enrolment" in maybe and "low-birth-weight-notification" in maybe
    for event in LifeEvent.objects.all():
        assert checklist(life_event=event, answers={}, event_date=D(2026, 12, 28))


def test_navigator_page_works_without_javascript(client, minato):
    url = reverse("procedures:navigator", args=["birth"])
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and form.context["items"] is None
    result = client.get(url, {"show": "1", "event_date": "2026-04-01", "q_insurance": "nhi",
                              "q_birth_weight_grams": "2300", "q_is_single_parent": "no",
                              "q_wants_nursery": "yes"}, HTTP_ACCEPT_LANGUAGE="en")
    assert result.status_code == 200
    page = result.content.decode()
    assert "Your checklist" in page and "By April 14, 2026" in page
    assert codes(result.context["items"])[0] == "birth-registration"
    assert result.context["uncertain_count"] == 0


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"q_birth_weight_grams": "heavy"}, "q_birth_weight_grams", "Enter a whole number."),
    ({"q_birth_weight_grams": "-5"}, "q_birth_weight_grams", "at least 0"),
    ({"q_insurance": "private"}, "q_insurance", "Please choose one of the answers."),
    ({"q_is_single_parent": "maybe"}, "q_is_single_parent", "Please choose one of the answers."),
    ({"event_date": "2026-13-45"}, "event_date", "Enter the date as year-month-day"),
])
def test_bad_answers_get_a_clear_error(client, minato, params, field, message):
    url = reverse("procedures:navigator", args=["birth"])
    response = client.get(url, {"show": "1", **params}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert response.context["items"] is None


def test_bad_answers_are_reported_in_japanese(client, minato):
    url = reverse("procedures:navigator", args=["birth"])
    response = client.get(url, {"show": "1", "q_birth_weight_grams": "重い"},
                          HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    with translation.override("ja"):
        expected = translation.gettext("Enter a whole number.")
    assert expected != "Enter a whole number."
    assert expected in response.content.decode()


def test_unknown_life_event_is_404(client, minato):
    assert client.get("/procedures/navigator/no-such-event/").status_code == 404


def save_birth_checklist(client):
    return client.post(reverse("procedures:checklist_save", args=["birth"]),
                       {"event_date": "2026-04-01", "q_insurance": "nhi"})


def test_saving_a_checklist_needs_an_account(client, minato):
    response = save_birth_checklist(client)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not SavedChecklist.objects.exists()


def test_a_resident_saves_views_and_deletes_a_checklist(client, minato, hanako):
    client.force_login(hanako.user)
    response = save_birth_checklist(client)
    saved = SavedChecklist.objects.get(user=hanako.user)
    assert response["Location"] == reverse("procedures:my_checklist", args=[saved.pk])
    assert saved.answers == {"insurance": "nhi"}
    assert saved.event_date == D(2026, 4, 1)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "nhi-enrolment" in codes(page.context["items"], certain=True)
    assert AuditEvent.objects.filter(action="checklist.save", actor_id=hanako.user.pk).exists()
    listing = client.get(reverse("procedures:my_checklists"))
    assert list(listing.context["saved_checklists"]) == [saved]
    client.post(reverse("procedures:my_checklist_delete", args=[saved.pk]))
    assert not SavedChecklist.objects.exists()


def test_a_resident_never_sees_or_deletes_another_residents_checklist(client, minato, hanako,
                                                                     taro):
    client.force_login(hanako.user)
    save_birth_checklist(client)
    saved = SavedChecklist.objects.get(user=hanako.user)
    client.force_login(taro.user)
    assert client.get(reverse("procedures:my_checklist", args=[saved.pk])).status_code == 404
    assert client.post(reverse("procedures:my_checklist_delete",
                               args=[saved.pk])).status_code == 404
    assert list(client.get(reverse("procedures:my_checklists")).context["saved_checklists"]) \
        == []
    assert SavedChecklist.objects.filter(pk=saved.pk).exists()


def test_saving_bad_answers_saves_nothing(client, minato, hanako):
    client.force_login(hanako.user)
    client.post(reverse("procedures:checklist_save", args=["birth"]),
                {"q_birth_weight_grams": "heavy"})
    assert not SavedChecklist.objects.exists()


# --- API -------------------------------------------------------------------------------------

def test_api_search_and_checklist(client, minato):
    found = client.get("/api/v1/procedures/procedures", {"q": "ﾃﾝﾆｭｳ"}).json()
    assert found["items"][0]["code"] == "moving-in-notification"
    events = client.get("/api/v1/procedures/life-events").json()
    assert "birth" in [event["code"] for event in events]
    response = client.post("/api/v1/procedures/life-events/birth/checklist",
                           {"event_date": "2026-04-01", "answers": {"insurance": "employee"}},
                           content_type="application/json")
    assert response.status_code == 200
    items = response.json()
    assert items[0] == {"procedure": "birth-registration", "name_ja": "出生届",
                        "name_en": items[0]["name_en"], "certain": True,
                        "deadline": "2026-04-14", "step": items[0]["step"]}
    assert "nhi-enrolment" not in [item["procedure"] for item in items]


@pytest.mark.parametrize("answers", [{"insurance": "gold"}, {"colour": "blue"},
                                     {"birth_weight_grams": "heavy"},
                                     {"is_single_parent": "yes"}])
def test_api_refuses_bad_answers(client, minato, answers):
    response = client.post("/api/v1/procedures/life-events/birth/checklist",
                           {"answers": answers}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_api_unknown_procedure_and_event(client, minato):
    assert client.get("/api/v1/procedures/procedures/nope").status_code == 404
    assert client.post("/api/v1/procedures/life-events/nope/checklist", {},
                       content_type="application/json").status_code == 404
    assert client.get("/api/v1/procedures/procedures",
                      {"life_event": "nope"}).status_code == 400
