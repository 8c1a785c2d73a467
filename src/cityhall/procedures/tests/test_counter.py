"""The write-less counter (書かない窓口): a clerk identifies the resident, answers the
navigator with them, corrects a detail once and prints every applicable form, pre-filled, as
one PDF; every step is audited and scoped to the clerk's branch office."""

import datetime
import io
import os

import pypdf
import pytest
from django.urls import reverse

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.pdf import japanese_font_available
from cityhall.procedures import services
from cityhall.procedures.counter import FACTS, assemble_forms, facts_needed
from cityhall.procedures.models import CounterSession, LifeEvent, Procedure

pytestmark = pytest.mark.django_db

MOVING_IN_ANSWERS = {"action": "answers", "event_date": "2026-11-20",
                     "q_foreign_resident": "no", "q_insurance": "nhi",
                     "q_children": "two_parent", "q_youngest_child_age": "4",
                     "q_has_care_certification": "no", "q_owns_dog": "yes"}


def moving_in():
    return LifeEvent.objects.get(code="moving_in")


def start_visit(client, clerk, resident=None):
    client.force_login(clerk)
    data = {"life_event": moving_in().pk}
    if resident is not None:
        data["resident_id"] = resident.pk
    response = client.post(reverse("procedures:counter_start"), data)
    visit = CounterSession.objects.latest("created_at")
    assert response["Location"] == reverse("procedures:counter_visit", args=[visit.pk])
    return visit


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_every_procedure_form_asks_only_known_facts(minato):
    for procedure in Procedure.objects.all():
        assert procedure.form_facts, procedure.code
        assert set(procedure.form_facts) <= set(FACTS), procedure.code


def test_a_clerk_serves_a_resident_from_questions_to_one_pdf(client, minato, hanako,
                                                             shiba_clerk):
    visit = start_visit(client, shiba_clerk, hanako)
    # What the city knows about her is already in the facts, and reading it was audited.
    assert visit.facts["full_name"] == "港 花子"
    assert visit.facts["address"] == "東京都港区芝公園2丁目3-1"
    assert AuditEvent.objects.filter(action="resident.read", actor=shiba_clerk,
                                     target_id=str(hanako.pk)).exists()
    url = reverse("procedures:counter_visit", args=[visit.pk])
    response = client.post(url, MOVING_IN_ANSWERS)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert "moving-in-notification" in visit.procedure_codes
    assert "nhi-enrolment" in visit.procedure_codes
    assert "nursery-application" in visit.procedure_codes
    assert "dog-change-notification" in visit.procedure_codes
    assert "late-elderly-enrolment" not in visit.procedure_codes
    assert visit.facts["event_date"] == "2026-11-20"
    assert visit.facts["move_date"] == "2026-11-20"  # the move-in's own date fact
    page = client.get(url)
    assert page.status_code == 200
    # The details are asked once, for all the forms together.
    keys = list(page.context["facts_form"].fields)
    assert keys == facts_needed([Procedure.objects.get(code=code)
                                 for code in visit.procedure_codes])
    assert keys.count("full_name") == 1

    # One correction changes every form.
    response = client.post(url, {"action": "facts", **{key: visit.facts.get(key, "")
                                                       for key in keys},
                                 "previous_address": "大阪府大阪市北区中之島1-3-20",
                                 "phone": "03-3578-2111"})
    assert response.status_code == 302
    visit.refresh_from_db()
    forms_page = client.get(reverse("procedures:counter_forms", args=[visit.pk]))
    forms = forms_page.context["forms"]
    with_phone = [form for form in forms if "phone" in dict(
        (key, value) for key, _label, value in form.rows)]
    assert len(with_phone) >= 3
    assert all(dict((key, value) for key, _l, value in form.rows)["phone"] == "03-3578-2111"
               for form in with_phone)

    response = client.post(reverse("procedures:counter_forms_pdf", args=[visit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= len(visit.procedure_codes)
    text = pdf_text(response.content)
    assert "転入届" in text
    assert text.count("03-3578-2111") == len(with_phone)
    assert "大阪府大阪市北区中之島1-3-20" in text
    assert "2026年11月20日" in text  # dates as Japanese forms print them
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    printed = AuditEvent.objects.get(action="counter_visit.print", target_id=str(visit.pk))
    assert printed.details["procedures"] == visit.procedure_codes
    assert "phone" in printed.details["facts_filled"]
    assert "03-3578-2111" not in str(printed.details)  # what was produced, not the values
    visit.refresh_from_db()
    assert visit.state == "printed" and visit.printed_count == 1


@pytest.mark.skipif(not japanese_font_available() and not os.environ.get("CI"),
                    reason="no Japanese font installed (make install installs one)")
def test_the_pdf_embeds_a_japanese_font(client, minato, shiba_clerk):
    visit = start_visit(client, shiba_clerk)
    services.counter_visit_answer(visit=visit, answers={}, event_date=None, actor=shiba_clerk)
    visit.refresh_from_db()
    content = services.counter_visit_print(visit=visit, actor=shiba_clerk)
    fonts = pypdf.PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"]
    assert any("IPAex" in str(font.get_object()["/BaseFont"]) for font in fonts.values())


def test_a_visitor_without_a_record_has_their_details_entered_once(client, minato,
                                                                  shiba_clerk):
    visit = start_visit(client, shiba_clerk)
    assert visit.resident is None and visit.facts == {}
    url = reverse("procedures:counter_visit", args=[visit.pk])
    client.post(url, {**MOVING_IN_ANSWERS, "q_owns_dog": "no"})
    visit.refresh_from_db()
    client.post(url, {"action": "choose", "procedures": ["moving-in-notification",
                                                         "seal-registration"]})
    visit.refresh_from_db()
    assert visit.procedure_codes == ["moving-in-notification", "seal-registration"]
    client.post(url, {"action": "facts", "full_name": "ジョン スミス",
                      "date_of_birth": "1990-05-01"})
    visit.refresh_from_db()
    forms = assemble_forms(procedures=services.visit_procedures(visit), facts=visit.facts)
    for form in forms:
        assert dict((key, value) for key, _l, value in form.rows)["full_name"] == \
            "ジョン スミス"


def test_an_unanswered_question_widens_the_list(client, minato, shiba_clerk):
    visit = start_visit(client, shiba_clerk)
    services.counter_visit_answer(visit=visit, answers={}, event_date=None, actor=shiba_clerk)
    visit.refresh_from_db()
    assert "nhi-enrolment" in visit.procedure_codes
    assert "late-elderly-enrolment" in visit.procedure_codes


def test_bad_details_are_refused_and_change_nothing(client, minato, hanako, shiba_clerk):
    visit = start_visit(client, shiba_clerk, hanako)
    before = dict(visit.facts)
    for facts in ({"date_of_birth": "2026-02-30"}, {"full_name": "x" * 201},
                  {"unknown_fact": "1"}):
        with pytest.raises(ValidationFailed):
            services.counter_visit_set_facts(visit=visit, facts=facts, actor=shiba_clerk)
    visit.refresh_from_db()
    assert visit.facts == before
    url = reverse("procedures:counter_visit", args=[visit.pk])
    client.post(url, MOVING_IN_ANSWERS)
    response = client.post(url, {"action": "facts", "date_of_birth": "not a date"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["facts_form"].errors["date_of_birth"] == [
        "Enter the date as year-month-day, e.g. 2026-04-01."]
    visit.refresh_from_db()
    assert visit.facts["date_of_birth"] == before["date_of_birth"]
    # A procedure that does not follow from the life event cannot be chosen.
    with pytest.raises(ValidationFailed):
        services.counter_visit_choose(visit=visit, procedure_codes=["marriage-registration"],
                                      actor=shiba_clerk)
    response = client.post(url, {"action": "choose", "procedures": ["no-such-procedure"]})
    assert response.status_code == 400
    response = client.post(url, {"action": "nonsense"})
    assert response.status_code == 302


def test_printing_with_no_procedure_is_refused(client, minato, shiba_clerk):
    visit = start_visit(client, shiba_clerk)
    response = client.post(reverse("procedures:counter_forms_pdf", args=[visit.pk]))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="counter_visit.print").exists()


def test_a_closed_visit_cannot_be_changed(client, minato, shiba_clerk):
    visit = start_visit(client, shiba_clerk)
    services.counter_visit_close(visit=visit, actor=shiba_clerk)
    with pytest.raises(ConflictError):
        services.counter_visit_set_facts(visit=visit, facts={"full_name": "x"},
                                         actor=shiba_clerk)


def test_a_clerk_of_another_branch_cannot_open_the_visit_or_the_resident(
        client, minato, hanako, shiba_clerk, azabu_clerk):
    visit = start_visit(client, shiba_clerk, hanako)
    client.force_login(azabu_clerk)
    for name in ("counter_visit", "counter_forms"):
        assert client.get(reverse(f"procedures:{name}", args=[visit.pk])).status_code == 403
    assert client.post(reverse("procedures:counter_forms_pdf",
                               args=[visit.pk])).status_code == 403
    assert AuditEvent.objects.filter(action="counter_visit.read_denied",
                                     actor=azabu_clerk).exists()
    # Nor can the Azabu clerk start a visit with a Shiba resident.
    response = client.post(reverse("procedures:counter_start"),
                           {"life_event": moving_in().pk, "resident_id": hanako.pk})
    assert response.status_code == 403
    assert CounterSession.objects.count() == 1


def test_residents_and_staff_without_the_role_are_kept_out(client, minato, hanako, taro,
                                                          shiba_clerk, reviewer):
    visit = start_visit(client, shiba_clerk, hanako)
    for user in (hanako.user, taro.user, reviewer):
        client.force_login(user)
        assert client.get(reverse("procedures:counter_home")).status_code == 403
        assert client.get(reverse("procedures:counter_visit",
                                  args=[visit.pk])).status_code == 403
        assert client.post(reverse("procedures:counter_start"),
                           {"life_event": moving_in().pk}).status_code == 403
        with pytest.raises(PermissionDeniedError):
            services.counter_visit_set_facts(visit=visit, facts={"full_name": "x"},
                                             actor=user)
    client.logout()
    response = client.get(reverse("procedures:counter_home"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_resident_search_is_audited_and_scoped(client, minato, hanako, taro,
                                                   shiba_clerk):
    client.force_login(shiba_clerk)
    response = client.get(reverse("procedures:counter_home"),
                          {"life_event": moving_in().pk, "q": "ミナト"})
    assert [resident.pk for resident in response.context["residents"].object_list] == \
        [hanako.pk]
    response = client.get(reverse("procedures:counter_home"),
                          {"life_event": moving_in().pk, "q": "アザブ"})
    assert list(response.context["residents"].object_list) == []
    assert AuditEvent.objects.filter(action="resident.list", actor=shiba_clerk).count() == 2
    response = client.get(reverse("procedures:counter_home"), {"life_event": "999999"})
    assert response.status_code == 400


def test_a_bad_visit_id_is_not_found(client, minato, shiba_clerk):
    client.force_login(shiba_clerk)
    response = client.get("/procedures/counter/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    response = client.post(reverse("procedures:counter_start"),
                           {"life_event": moving_in().pk, "resident_id": "abc"})
    assert response.status_code == 404


def test_a_date_staff_corrected_is_kept_when_the_answers_change(client, minato, shiba_clerk):
    visit = start_visit(client, shiba_clerk)
    services.counter_visit_answer(visit=visit, answers={}, actor=shiba_clerk,
                                  event_date=datetime.date(2026, 11, 20))
    services.counter_visit_set_facts(visit=visit, facts={"move_date": "2026-11-18"},
                                     actor=shiba_clerk)
    visit = services.counter_visit_answer(visit=visit, answers={}, actor=shiba_clerk,
                                          event_date=datetime.date(2026, 11, 21))
    assert visit.facts["move_date"] == "2026-11-18"
    assert visit.facts["event_date"] == "2026-11-21"


def test_a_life_event_may_only_fill_a_date_fact(minato, system_admin):
    event = moving_in()
    for wrong in ("full_name", "no_such_fact"):
        event.event_date_fact = wrong
        with pytest.raises(ValidationFailed):
            services.life_event_save(life_event=event, actor=system_admin)
    assert LifeEvent.objects.get(code="moving_in").event_date_fact == "move_date"
