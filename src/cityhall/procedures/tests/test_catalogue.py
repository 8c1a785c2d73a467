"""The procedure catalogue: real Minato data, Japanese-aware search, staff editing with history,
and the rules of who may change it."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.core.errors import ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.procedures import services
from cityhall.procedures.apps import load_minato_catalogue
from cityhall.procedures.models import EventRule, LifeEvent, Procedure, ProcedureRevision
from cityhall.procedures.selectors import search_procedures

pytestmark = pytest.mark.django_db


def names(query):
    return [procedure.code for procedure in search_procedures(query=query)]


def test_the_minato_catalogue_is_loaded_with_real_procedures(minato):
    assert Procedure.objects.count() >= 40
    assert LifeEvent.objects.count() >= 10
    moving_in = Procedure.objects.get(code="moving-in-notification")
    assert moving_in.name_ja == "転入届"
    assert moving_in.deadline_days == 14
    assert not moving_in.deadline_counts_event_day
    birth = Procedure.objects.get(code="birth-registration")
    assert birth.deadline_counts_event_day  # 戸籍法: the day of birth counts
    assert Procedure.objects.get(code="death-registration").deadline_days == 7
    # Every rule's condition only names questions of its own life event.
    for rule in EventRule.objects.select_related("life_event"):
        rule.full_clean()


def test_loading_again_changes_nothing(minato):
    counts = (Procedure.objects.count(), LifeEvent.objects.count(), EventRule.objects.count(),
              ProcedureRevision.objects.count())
    load_minato_catalogue()
    assert (Procedure.objects.count(), LifeEvent.objects.count(), EventRule.objects.count(),
            ProcedureRevision.objects.count()) == counts


@pytest.mark.parametrize("query", ["転入", "てんにゅう", "テンニュウ", "ﾃﾝﾆｭｳ", "転入届"])
def test_search_finds_moving_in_by_kanji_kana_and_half_width(minato, query):
    assert names(query)[0] == "moving-in-notification"


@pytest.mark.parametrize("query", ["子供医療費", "子ども医療費", "こども 医療"])
def test_search_folds_spelling_variants(minato, query):
    assert "child-medical-subsidy" in names(query)


def test_search_in_english_and_with_several_words(minato):
    assert "dog-registration" in names("dog")
    both = names("国民健康保険 加入")
    assert both[0] == "nhi-enrolment"
    assert names("xyzzy") == []
    assert names("") == list(Procedure.objects.filter(is_published=True)
                             .order_by("name_kana", "code").values_list("code", flat=True))


def test_unpublished_procedures_are_not_found_or_shown(client, minato):
    Procedure.objects.filter(code="dog-registration").update(is_published=False)
    assert "dog-registration" not in names("dog")
    assert client.get("/procedures/dog-registration/").status_code == 404


def test_catalogue_pages_render_in_ja_and_en(client, minato):
    for language in ("ja", "en"):
        response = client.get("/procedures/", {"q": "転入"}, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert response.context["page"].object_list[0].code == "moving-in-notification"
        detail = client.get("/procedures/moving-in-notification/",
                            HTTP_ACCEPT_LANGUAGE=language)
        assert detail.status_code == 200
    english = client.get("/procedures/moving-in-notification/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Moving-in notification" in english.content.decode()


def test_browsing_by_life_event_and_department(client, minato):
    response = client.get("/procedures/", {"life_event": "birth"})
    codes = {procedure.code for procedure in response.context["page"].paginator.object_list}
    assert "birth-registration" in codes and "moving-in-notification" not in codes
    response = client.get("/procedures/", {"department": "kokuho-nenkin"})
    codes = {procedure.code for procedure in response.context["page"].paginator.object_list}
    assert "nhi-enrolment" in codes and "birth-registration" not in codes


# --- staff editing -----------------------------------------------------------------------

def test_saving_a_procedure_records_a_revision_and_an_audit_event(minato, system_admin):
    procedure = Procedure.objects.get(code="dog-registration")
    before = procedure.revisions.count()
    procedure.fee_yen = 3500
    procedure.keywords_ja = [*procedure.keywords_ja, "ペット"]
    services.procedure_save(procedure=procedure, actor=system_admin)
    revision = procedure.revisions.first()
    assert procedure.revisions.count() == before + 1
    assert revision.changed_by == system_admin
    assert revision.changes["fee_yen"] == [3000, 3500]
    assert set(revision.changes) == {"fee_yen", "keywords_ja"}
    event = AuditEvent.objects.filter(action="procedure.save").order_by("-sequence").first()
    assert event.actor_id == system_admin.pk and event.details["fields"] == ["fee_yen",
                                                                              "keywords_ja"]
    assert "dog-registration" in names("ペット")  # the search index follows the change


def test_saving_without_changes_writes_no_revision(minato, system_admin):
    procedure = Procedure.objects.get(code="dog-registration")
    before = procedure.revisions.count()
    services.procedure_save(procedure=procedure, actor=system_admin)
    assert procedure.revisions.count() == before


@pytest.mark.parametrize(("field", "value", "message"), [
    ("channels", ["fax"], "Unknown channel"),
    ("documents_ja", "免許証", "Enter a list of texts"),
    ("name_ja", "", "This field cannot be blank"),
])
def test_bad_procedure_data_is_refused_and_changes_nothing(minato, system_admin, field, value,
                                                           message):
    procedure = Procedure.objects.get(code="dog-registration")
    revisions = procedure.revisions.count()
    setattr(procedure, field, value)
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        services.procedure_save(procedure=procedure, actor=system_admin)
    assert message in str(error.value.message)
    stored = Procedure.objects.get(code="dog-registration")
    assert getattr(stored, field) != value
    assert stored.revisions.count() == revisions


def test_a_malformed_rule_condition_is_refused_with_a_clear_message(minato, system_admin):
    rule = EventRule.objects.filter(life_event__code="birth").first()
    original = rule.condition
    rule.condition = {"q": "favourite_colour", "op": "eq", "value": "blue"}
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        services.event_rule_save(rule=rule, actor=system_admin)
    assert "favourite_colour" in str(error.value.message)
    rule.refresh_from_db()
    assert rule.condition == original


def test_a_question_still_used_by_a_rule_cannot_be_removed(minato, system_admin):
    event = LifeEvent.objects.get(code="birth")
    event.questions = [q for q in event.questions if q["key"] != "insurance"]
    with pytest.raises(ValidationFailed):
        services.life_event_save(life_event=event, actor=system_admin)
    event.refresh_from_db()
    assert any(q["key"] == "insurance" for q in event.questions)


def test_malformed_questions_json_is_refused_in_the_admin(client, minato, system_admin):
    client.force_login(system_admin)
    event = LifeEvent.objects.get(code="getting_a_dog")
    url = reverse("admin:procedures_lifeevent_change", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"questions": json.dumps([{"key": "x", "type": "essay"}]),
                 "is_published": "on", "rules-TOTAL_FORMS": "0", "rules-INITIAL_FORMS": "0"})
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "unknown type" in response.content.decode()
    event.refresh_from_db()
    assert all(q["type"] != "essay" for q in event.questions)


def test_who_may_edit_the_catalogue(client, minato, system_admin, shiba_clerk, hanako):
    procedure = Procedure.objects.get(code="dog-registration")
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    client.force_login(system_admin)
    assert client.get(url).status_code == 200
    client.force_login(shiba_clerk)
    assert client.get(url).status_code == 403
    client.force_login(hanako.user)
    assert client.get(url).status_code == 302  # not staff: sent to sign in
    client.logout()
    assert client.get(url).status_code == 302


def test_a_save_the_service_refuses_shows_a_message_not_an_error_page(client, minato,
                                                                      system_admin,
                                                                      monkeypatch):
    from cityhall.procedures.admin import ProcedureAdmin

    def refuse(**kwargs):
        raise ValidationFailed("refused by the service")

    monkeypatch.setattr(ProcedureAdmin, "service", staticmethod(refuse))
    procedure = Procedure.objects.get(code="dog-registration")
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    client.force_login(system_admin)
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"name_ja": "犬の登録（変更）", "documents_ja": json.dumps(procedure.documents_ja),
                 "documents_en": json.dumps(procedure.documents_en),
                 "channels": json.dumps(procedure.channels),
                 "keywords_ja": json.dumps(procedure.keywords_ja),
                 "form_facts": json.dumps(procedure.form_facts),
                 "is_published": "on", "deadline_counts_event_day": "",
                 "revisions-TOTAL_FORMS": "0", "revisions-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    page = client.get(response["Location"])
    shown = [str(message) for message in page.context["messages"]]
    assert shown == ["refused by the service"], (response["Location"], shown)
    assert "Refused by the service" in page.content.decode()  # the admin capitalises messages
    procedure.refresh_from_db()
    assert procedure.name_ja != "犬の登録（変更）"
