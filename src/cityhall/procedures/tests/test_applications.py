"""Online applications (電子申請): a form as data, drafts, validation that changes nothing,
prefill from the profile, submission with a reference number, the status workflow, and no
resident ever reaching another's application."""

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.procedures import services
from cityhall.procedures.models import Application, ApplicationForm, Procedure

pytestmark = pytest.mark.django_db

GOOD = {"dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
        "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01",
        "microchip_number": "392141000123456", "rabies_vaccination": "on"}


def dog():
    return Procedure.objects.get(code="dog-registration")


def start(client, user):
    client.force_login(user)
    response = client.post(reverse("procedures:application_start", args=["dog-registration"]))
    return Application.objects.get(applicant=user, procedure=dog(), status="draft"), response


def test_the_dog_registration_form_is_loaded_and_active(minato):
    form = ApplicationForm.objects.get(procedure=dog(), is_active=True)
    assert form.version == 1
    assert form.ui["prefill"] == {"owner_name": "profile.full_name",
                                  "owner_address": "profile.address"}


def test_a_resident_applies_from_start_to_reference_number(client, minato, hanako):
    application, response = start(client, hanako.user)
    edit = reverse("procedures:application_edit", args=[application.pk])
    assert response["Location"] == edit
    page = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # What the city knows is shown, not asked.
    assert "港 花子" in page and "東京都港区芝公園2丁目3-1" in page
    assert 'name="owner_name"' not in page and 'name="dog_name"' in page
    response = client.post(edit, {"action": "continue", **GOOD})
    confirm = reverse("procedures:application_confirm", args=[application.pk])
    assert response["Location"] == confirm
    summary = client.get(confirm, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Male" in summary and "392141000123456" in summary
    response = client.post(confirm)
    application.refresh_from_db()
    assert response["Location"] == reverse("procedures:application_detail",
                                           args=[application.pk])
    assert application.status == "submitted"
    assert application.reference.startswith("A20") and len(application.reference) == 12
    assert application.prefilled == {"owner_name": "港 花子",
                                     "owner_address": "東京都港区芝公園2丁目3-1"}
    assert application.data["rabies_vaccination"] is True
    assert [e.status_to for e in application.events.all()] == ["draft", "submitted"]
    assert AuditEvent.objects.filter(action="application.submit",
                                     target_id=str(application.pk)).exists()
    listing = client.get(reverse("procedures:my_applications"))
    assert list(listing.context["applications"]) == [application]


def test_reference_numbers_are_unique_and_consecutive(client, minato, hanako, taro):
    references = []
    for resident in (hanako, taro):
        application, _ = start(client, resident.user)
        services.application_save_draft(application=application,
                                        data={**GOOD, "rabies_vaccination": True},
                                        actor=resident.user)
        references.append(services.application_submit(application=application,
                                                      actor=resident.user).reference)
    first, second = (int(reference.split("-")[1]) for reference in references)
    assert second == first + 1


def test_a_draft_can_be_saved_half_done_and_resumed(client, minato, hanako):
    application, _ = start(client, hanako.user)
    edit = reverse("procedures:application_edit", args=[application.pk])
    response = client.post(edit, {"action": "save", "dog_name": "ポチ", "sex": "female"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data == {"dog_name": "ポチ", "sex": "female"}
    assert application.status == "draft"
    again = client.get(edit)
    assert again.context["form"].initial["dog_name"] == "ポチ"
    # Starting again reuses the open draft instead of making a second one.
    start(client, hanako.user)
    assert Application.objects.filter(applicant=hanako.user).count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("microchip_number", "12345", "Enter the 15 digits of the microchip number."),
    ("sex", "unknown", "Please choose one of the options."),
    ("date_of_birth", "2026-02-30", "Enter the date as year-month-day"),
    ("dog_name", "", "This field is required."),
    ("dog_name", "ポ" * 31, "at most 30 characters"),
    ("rabies_vaccination", "", "Please tick this box to continue."),
    ("phone", "call me", "Enter a phone number such as 03-3578-2111."),
])
def test_bad_answers_are_refused_with_a_clear_message(client, minato, hanako, field, value,
                                                      message):
    application, _ = start(client, hanako.user)
    edit = reverse("procedures:application_edit", args=[application.pk])
    data = {"action": "continue", **GOOD, field: value}
    if value == "":
        data.pop(field)
    response = client.post(edit, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    application.refresh_from_db()
    assert application.status == "draft" and application.reference is None


def test_bad_answers_are_reported_in_japanese(client, minato, hanako):
    application, _ = start(client, hanako.user)
    edit = reverse("procedures:application_edit", args=[application.pk])
    response = client.post(edit, {"action": "continue", **GOOD, "microchip_number": "1"},
                           HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "15桁の数字で入力してください。" in response.content.decode()


def test_submitting_invalid_data_changes_nothing(minato, hanako):
    application = services.application_start(procedure=dog(), applicant=hanako.user,
                                             actor=hanako.user)
    services.application_save_draft(application=application, data={"dog_name": "ポチ"},
                                    actor=hanako.user)
    with pytest.raises(ValidationFailed):
        services.application_submit(application=application, actor=hanako.user)
    application.refresh_from_db()
    assert application.status == "draft" and application.reference is None
    assert not AuditEvent.objects.filter(action="application.submit").exists()


def test_a_resident_without_details_is_asked_to_complete_them(client, minato):
    from cityhall.core.tests.factories import UserFactory

    user = UserFactory()
    application = services.application_start(procedure=dog(), applicant=user, actor=user)
    services.application_save_draft(application=application,
                                    data={**GOOD, "rabies_vaccination": True}, actor=user)
    with pytest.raises(ValidationFailed) as error:
        services.application_submit(application=application, actor=user)
    assert error.value.code == "profile_incomplete"


def test_nobody_reaches_another_residents_application(client, minato, hanako, taro):
    application, _ = start(client, hanako.user)
    client.force_login(taro.user)
    for name in ("application_detail", "application_edit", "application_confirm"):
        assert client.get(reverse(f"procedures:{name}", args=[application.pk])).status_code \
            == 404
    assert client.post(reverse("procedures:application_edit", args=[application.pk]),
                       {"action": "save", "dog_name": "X"}).status_code == 404
    assert client.post(reverse("procedures:application_confirm",
                               args=[application.pk])).status_code == 404
    assert list(client.get(reverse("procedures:my_applications")).context["applications"]) \
        == []
    with pytest.raises(PermissionDeniedError):
        services.application_save_draft(application=application, data={}, actor=taro.user)
    with pytest.raises(PermissionDeniedError):
        services.application_submit(application=application, actor=taro.user)
    application.refresh_from_db()
    assert application.data == {}
    client.logout()
    response = client.get(reverse("procedures:application_detail", args=[application.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_submitted_application_cannot_be_changed_or_sent_twice(client, minato, hanako):
    application = services.application_start(procedure=dog(), applicant=hanako.user,
                                             actor=hanako.user)
    services.application_save_draft(application=application,
                                    data={**GOOD, "rabies_vaccination": True},
                                    actor=hanako.user)
    services.application_submit(application=application, actor=hanako.user)
    with pytest.raises(ConflictError):
        services.application_save_draft(application=application, data={}, actor=hanako.user)
    with pytest.raises(ConflictError):
        services.application_submit(application=application, actor=hanako.user)
    client.force_login(hanako.user)
    response = client.get(reverse("procedures:application_edit", args=[application.pk]))
    assert response["Location"] == reverse("procedures:application_detail",
                                           args=[application.pk])


def test_procedures_without_an_online_form_cannot_be_applied_for(client, minato, hanako):
    client.force_login(hanako.user)
    assert client.get(reverse("procedures:application_start",
                              args=["birth-registration"])).status_code == 404
    with pytest.raises(ValidationFailed):
        services.application_start(procedure=Procedure.objects.get(code="birth-registration"),
                                   applicant=hanako.user, actor=hanako.user)


# --- the form definitions staff write --------------------------------------------------------

@pytest.mark.parametrize(("schema", "ui", "message"), [
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, {},
     "not valid JSON Schema"),
    ({"type": "array"}, {}, "must describe an object"),
    ({"type": "object", "properties": {"a": {"type": "array"}}}, {}, "must have one of the types"),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {"fields": {}},
     "needs label_ja and label_en"),
    ({"type": "object", "properties": {"a": {"type": "string", "format": "uri"}}},
     {"fields": {"a": {"label_ja": "a", "label_en": "a"}}}, "uses the format"),
    ({"type": "object", "properties": {"a": {"type": "string"}}},
     {"fields": {"a": {"label_ja": "a", "label_en": "a"}}, "prefill": {"a": "profile.income"}},
     "Prefill source"),
    ({"type": "object", "properties": {"a": {"type": "string"}}},
     {"fields": {"a": {"label_ja": "a", "label_en": "a"}}, "order": ["a", "b"]},
     "must list every property"),
])
def test_malformed_forms_are_refused_with_a_clear_message(minato, system_admin, schema, ui,
                                                          message):
    before = ApplicationForm.objects.count()
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        services.application_form_save(procedure=dog(), schema=schema, ui=ui, activate=True,
                                       actor=system_admin)
    assert message in str(error.value.message)
    assert ApplicationForm.objects.count() == before
    assert ApplicationForm.objects.get(procedure=dog(), is_active=True).version == 1


def test_a_new_form_version_leaves_earlier_applications_on_theirs(minato, hanako,
                                                                 system_admin):
    draft = services.application_start(procedure=dog(), applicant=hanako.user,
                                       actor=hanako.user)
    current = ApplicationForm.objects.get(procedure=dog(), is_active=True)
    ui = {**current.ui, "fields": {**current.ui["fields"],
                                   "dog_name": {"label_ja": "愛犬の名前", "label_en": "Name"}}}
    new = services.application_form_save(procedure=dog(), schema=current.schema, ui=ui,
                                         activate=True, actor=system_admin)
    assert new.version == 2 and new.is_active
    current.refresh_from_db()
    assert not current.is_active
    draft.refresh_from_db()
    assert draft.form_id == current.pk


# --- staff workflow (service level; the review queue pages come next) ------------------------

def submitted(hanako):
    application = services.application_start(procedure=dog(), applicant=hanako.user,
                                             actor=hanako.user)
    services.application_save_draft(application=application,
                                    data={**GOOD, "rabies_vaccination": True},
                                    actor=hanako.user)
    return services.application_submit(application=application, actor=hanako.user)


def test_staff_workflow_and_its_rules(minato, hanako, system_admin, shiba_clerk):
    application = submitted(hanako)
    with pytest.raises(PermissionDeniedError):
        services.application_transition(application=application, status_to="in_review",
                                        actor=shiba_clerk)
    with pytest.raises(PermissionDeniedError):
        services.application_transition(application=application, status_to="in_review",
                                        actor=hanako.user)
    services.application_transition(application=application, status_to="in_review",
                                    actor=system_admin)
    with pytest.raises(ConflictError):
        services.application_transition(application=application, status_to="completed",
                                        actor=system_admin)
    with pytest.raises(ValidationFailed):
        services.application_transition(application=application, status_to="returned",
                                        actor=system_admin, comment="  ")
    services.application_transition(application=application, status_to="returned",
                                    actor=system_admin, comment="毛色を確認してください。")
    application.refresh_from_db()
    assert application.status == "returned"
    # The resident corrects and sends it again; the reference number stays.
    reference = application.reference
    services.application_save_draft(application=application,
                                    data={**application.data, "coat_colour": "茶"},
                                    actor=hanako.user)
    services.application_submit(application=application, actor=hanako.user)
    application.refresh_from_db()
    assert application.status == "submitted" and application.reference == reference
    assert [e.status_to for e in application.events.all()] == [
        "draft", "submitted", "in_review", "returned", "submitted"]


def test_status_listeners_hear_of_every_change_after_commit(minato, hanako, system_admin,
                                                           django_capture_on_commit_callbacks,
                                                           monkeypatch):
    heard = []
    monkeypatch.setattr(services.applications, "_status_listeners", [
        lambda application, status_from: heard.append((status_from, application.status))])
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(hanako)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(application=application, status_to="in_review",
                                        actor=system_admin)
    assert heard == [("draft", "submitted"), ("submitted", "in_review")]
