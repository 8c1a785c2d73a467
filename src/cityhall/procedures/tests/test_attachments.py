"""Files attached to online applications: the type read from the content, limits per form
field, private storage, replacing and removing, downloads for the applicant and for the
reviewers who may see the application (audited), and refusals that change nothing."""

import hashlib
import uuid

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.procedures import services
from cityhall.procedures.forms_schema import SchemaForm, answer_rows
from cityhall.procedures.models import Application, ApplicationForm, Attachment, Procedure
from cityhall.procedures.tests.test_applications import GOOD

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40
ANSWERS = {**GOOD, "rabies_vaccination": True}
FIELD = "rabies_certificate"


@pytest.fixture
def storage(settings, tmp_path, monkeypatch):
    """The private attachments storage in a temporary folder. Changing STORAGES resets
    Django's storage handler; the model field took its storage once, when the model was
    loaded, so it is pointed at the new one too."""
    location = tmp_path / "attachments"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(location), "base_url": None}}}
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        storages["attachments"])
    return location


def stored_files(location) -> list:
    return sorted(path for path in location.rglob("*") if path.is_file()) \
        if location.exists() else []


def dog():
    return Procedure.objects.get(code="dog-registration")


def upload(content=PDF, name="certificate.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def draft(resident):
    return services.application_start(procedure=dog(), applicant=resident.user,
                                      actor=resident.user)


def edit_url(application):
    return reverse("procedures:application_edit", args=[application.pk])


def download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --- the whole path --------------------------------------------------------------------------

def test_a_resident_attaches_a_file_and_both_sides_download_it(client, minato, hanako,
                                                              reviewer, storage):
    application = draft(hanako)
    client.force_login(hanako.user)
    page = client.get(edit_url(application), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="rabies_certificate"' in page
    assert 'accept="application/pdf,image/jpeg,image/png"' in page
    assert "PDF, JPEG or PNG, up to 5 MB" in page

    response = client.post(edit_url(application), {
        "action": "continue", **GOOD, FIELD: upload(name="証明書.pdf")})
    assert response["Location"] == reverse("procedures:application_confirm",
                                           args=[application.pk])
    attachment = Attachment.objects.get(application=application)
    application.refresh_from_db()
    assert application.data[FIELD] == str(attachment.id)
    assert (attachment.field, attachment.original_name, attachment.content_type,
            attachment.size, attachment.sha256) == (
        FIELD, "証明書.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    # Stored under a name made of ids, never the resident's name for it.
    assert attachment.file.name == f"applications/{application.pk}/{attachment.id}"
    assert [path.read_bytes() for path in stored_files(storage)] == [PDF]
    event = AuditEvent.objects.get(action="attachment.add")
    assert event.actor_id == hanako.user.pk and event.target_id == str(application.pk)
    assert event.details == {"field": FIELD, "attachment": str(attachment.id),
                             "size": len(PDF), "content_type": "application/pdf",
                             "sha256": attachment.sha256, "replaced": []}

    own_url = reverse("procedures:application_attachment",
                      args=[application.pk, attachment.id])
    confirm = client.get(reverse("procedures:application_confirm", args=[application.pk]))
    assert "証明書.pdf" in confirm.content.decode() and own_url in confirm.content.decode()
    client.post(reverse("procedures:application_confirm", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "submitted"
    detail = client.get(reverse("procedures:application_detail", args=[application.pk]))
    assert own_url in detail.content.decode()

    response = client.get(own_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"attachment.pdf\"; "
        "filename*=UTF-8''%E8%A8%BC%E6%98%8E%E6%9B%B8.pdf")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]

    client.force_login(reviewer)
    review_url = reverse("procedures:review_attachment", args=[application.pk, attachment.id])
    review = client.get(reverse("procedures:review_detail", args=[application.pk]))
    assert "証明書.pdf" in review.content.decode() and review_url in review.content.decode()
    assert download(client, review_url) == PDF
    read = AuditEvent.objects.get(action="attachment.read")
    assert read.actor_id == reviewer.pk and read.target_id == str(application.pk)
    assert read.details == {"attachment": str(attachment.id), "field": FIELD}
    assert AuditEvent.objects.filter(action="application.read", actor_id=reviewer.pk,
                                     purpose="attachment").exists()


def test_an_ascii_name_is_kept_in_both_header_forms(client, minato, hanako, storage):
    application = draft(hanako)
    attachment = services.attachment_add(application=application, field=FIELD,
                                         uploaded_file=upload(name="cert 2026.pdf"),
                                         actor=hanako.user)
    client.force_login(hanako.user)
    response = client.get(reverse("procedures:application_attachment",
                                  args=[application.pk, attachment.id]))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"cert 2026.pdf\"; filename*=UTF-8''cert%202026.pdf")


def test_saving_other_answers_keeps_the_attached_file(client, minato, hanako, storage):
    application = draft(hanako)
    attachment = services.attachment_add(application=application, field=FIELD,
                                         uploaded_file=upload(), actor=hanako.user)
    client.force_login(hanako.user)
    response = client.post(edit_url(application), {"action": "save", "dog_name": "ハチ"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data == {"dog_name": "ハチ", FIELD: str(attachment.id)}
    page = client.get(edit_url(application)).content.decode()
    assert "certificate.pdf" in page and 'name="remove-file"' in page


# --- what is refused, and that nothing changes then ------------------------------------------

def test_the_type_is_read_from_the_content_not_the_name(minato, hanako, storage):
    application = draft(hanako)
    attachment = services.attachment_add(
        application=application, field=FIELD,
        uploaded_file=upload(PNG, name="scan.pdf", content_type="application/pdf"),
        actor=hanako.user)
    assert attachment.content_type == "image/png"
    jpeg = services.attachment_add(
        application=application, field=FIELD,
        uploaded_file=upload(JPEG, name="photo.png", content_type="image/png"),
        actor=hanako.user)
    assert jpeg.content_type == "image/jpeg"


def test_a_png_named_pdf_is_refused_where_only_pdf_is_accepted(minato, hanako, system_admin,
                                                               storage):
    current = ApplicationForm.objects.get(procedure=dog(), is_active=True)
    fields = {**current.ui["fields"], FIELD: {**current.ui["fields"][FIELD],
                                              "accept": ["application/pdf"]}}
    services.application_form_save(procedure=dog(), schema=current.schema,
                                   ui={**current.ui, "fields": fields}, activate=True,
                                   actor=system_admin)
    application = draft(hanako)
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        services.attachment_add(
            application=application, field=FIELD,
            uploaded_file=upload(PNG, name="scan.pdf", content_type="application/pdf"),
            actor=hanako.user)
    assert str(error.value.message) == ("This kind of file cannot be accepted. Please attach "
                                        "a file of one of these types: PDF.")
    assert error.value.field == FIELD
    assert not Attachment.objects.exists() and stored_files(storage) == []


@pytest.mark.parametrize(("content", "name", "content_type", "message"), [
    (EXE, "certificate.pdf", "application/pdf",
     "This kind of file cannot be accepted. Please attach a file of one of these types: "
     "PDF, JPEG, PNG."),
    (b"I am a certificate, honestly.", "certificate.pdf", "application/pdf",
     "This kind of file cannot be accepted."),
    (b"<html>%PDF-1.7</html>", "certificate.pdf", "application/pdf",
     "This kind of file cannot be accepted."),
    (b"", "certificate.pdf", "application/pdf", "The file is empty."),
    (PDF[:5] + b"\x00" * (5 * 1024 * 1024 - 4), "big.pdf", "application/pdf",
     "The file is too large: the limit is 5 MB."),
])
def test_refused_files_change_nothing(client, minato, hanako, storage, content, name,
                                      content_type, message):
    application = draft(hanako)
    client.force_login(hanako.user)
    response = client.post(edit_url(application), {
        "action": "save", "dog_name": "ポチ", FIELD: upload(content, name, content_type)},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    # Saving a draft: only the refused file is an error, not the questions left unanswered.
    assert list(response.context["form"].errors) == [FIELD]
    assert message in response.content.decode()
    application.refresh_from_db()
    assert application.data == {"dog_name": "ポチ"}
    assert not Attachment.objects.exists() and stored_files(storage) == []
    assert not AuditEvent.objects.filter(action="attachment.add").exists()


def test_refusals_by_the_service(minato, hanako, taro, storage):
    application = draft(hanako)
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        services.attachment_add(application=application, field=FIELD,
                                uploaded_file=upload(b""), actor=hanako.user)
    assert (error.value.code, error.value.field) == ("file_empty", FIELD)
    with pytest.raises(ValidationFailed) as error:
        services.attachment_add(application=application, field="dog_name",
                                uploaded_file=upload(), actor=hanako.user)
    assert error.value.field == "dog_name"
    with pytest.raises(PermissionDeniedError):
        services.attachment_add(application=application, field=FIELD,
                                uploaded_file=upload(), actor=taro.user)
    with pytest.raises(PermissionDeniedError):
        services.attachment_remove(application=application, field=FIELD, actor=taro.user)
    assert not Attachment.objects.exists() and stored_files(storage) == []
    application.refresh_from_db()
    assert application.data == {}


def test_the_file_is_deleted_when_the_database_write_fails(minato, hanako, storage,
                                                           monkeypatch):
    application = draft(hanako)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.attachments, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.attachment_add(application=application, field=FIELD,
                                uploaded_file=upload(), actor=hanako.user)
    assert not Attachment.objects.exists() and stored_files(storage) == []
    application.refresh_from_db()
    assert application.data == {}


def test_no_upload_or_removal_after_submission(minato, hanako, storage,
                                               django_capture_on_commit_callbacks):
    application = draft(hanako)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = services.attachment_add(application=application, field=FIELD,
                                             uploaded_file=upload(), actor=hanako.user)
        services.application_save_draft(application=application,
                                        data={**ANSWERS, FIELD: str(attachment.id)},
                                        actor=hanako.user)
        services.application_submit(application=application, actor=hanako.user)
    data = dict(application.data)
    with pytest.raises(ConflictError):
        services.attachment_add(application=application, field=FIELD,
                                uploaded_file=upload(PNG), actor=hanako.user)
    with pytest.raises(ConflictError):
        services.attachment_remove(application=application, field=FIELD, actor=hanako.user)
    application.refresh_from_db()
    assert application.data == data and application.status == "submitted"
    assert list(Attachment.objects.all()) == [attachment]
    assert [path.read_bytes() for path in stored_files(storage)] == [PDF]
    assert AuditEvent.objects.filter(action__startswith="attachment.").count() == 1


def test_submission_needs_every_file_answer_to_be_an_attachment_of_the_application(
        minato, hanako, taro, storage):
    other = draft(taro)
    foreign = services.attachment_add(application=other, field=FIELD, uploaded_file=upload(),
                                      actor=taro.user)
    application = draft(hanako)
    for value in (str(uuid.uuid4()), str(foreign.id), "not an id"):
        services.application_save_draft(application=application,
                                        data={**ANSWERS, FIELD: value}, actor=hanako.user)
        with translation.override("en"), pytest.raises(ValidationFailed) as error:
            services.application_submit(application=application, actor=hanako.user)
        assert error.value.field == FIELD
        assert str(error.value.message) == ("The attached file could not be found. Please "
                                            "attach it again.")
        application.refresh_from_db()
        assert application.status == "draft" and application.reference is None
    # Without a file (it is optional) or with its own, it goes through.
    services.application_save_draft(application=application, data=ANSWERS,
                                    actor=hanako.user)
    services.attachment_add(application=application, field=FIELD, uploaded_file=upload(),
                            actor=hanako.user)
    assert services.application_submit(application=application,
                                       actor=hanako.user).status == "submitted"


# --- replacing and removing ------------------------------------------------------------------

def test_a_new_file_replaces_the_old_one(minato, hanako, storage,
                                         django_capture_on_commit_callbacks):
    application = draft(hanako)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.attachment_add(application=application, field=FIELD,
                                        uploaded_file=upload(), actor=hanako.user)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.attachment_add(application=application, field=FIELD,
                                         uploaded_file=upload(PNG, "photo.png", "image/png"),
                                         actor=hanako.user)
    assert list(Attachment.objects.all()) == [second]
    assert [path.read_bytes() for path in stored_files(storage)] == [PNG]
    application.refresh_from_db()
    assert application.data == {FIELD: str(second.id)}
    assert AuditEvent.objects.filter(action="attachment.add").first().details["replaced"] == [
        str(first.id)]


def test_the_resident_removes_a_file_from_the_page(client, minato, hanako, storage,
                                                   django_capture_on_commit_callbacks):
    application = draft(hanako)
    services.attachment_add(application=application, field=FIELD, uploaded_file=upload(),
                            actor=hanako.user)
    client.force_login(hanako.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(application), {
            "action": "save", "dog_name": "ポチ", "remove-file": FIELD})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data == {"dog_name": "ポチ"}
    assert not Attachment.objects.exists() and stored_files(storage) == []
    assert AuditEvent.objects.filter(action="attachment.remove",
                                     target_id=str(application.pk)).exists()


def test_a_required_file_must_be_attached_before_continuing(client, minato, hanako,
                                                            system_admin, storage):
    current = ApplicationForm.objects.get(procedure=dog(), is_active=True)
    schema = {**current.schema, "required": [*current.schema["required"], FIELD]}
    services.application_form_save(procedure=dog(), schema=schema, ui=current.ui,
                                   activate=True, actor=system_admin)
    application = draft(hanako)
    client.force_login(hanako.user)
    url = edit_url(application)
    assert client.post(url, {"action": "save", **GOOD}).status_code == 302
    response = client.post(url, {"action": "continue", **GOOD}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors[FIELD] == ["Please choose a file."]
    response = client.post(url, {"action": "continue", **GOOD, FIELD: upload()})
    assert response.status_code == 302
    # Attached once, it need not be sent again; removed, it is missing again.
    assert client.post(url, {"action": "continue", **GOOD}).status_code == 302
    response = client.post(url, {"action": "continue", **GOOD, "remove-file": FIELD},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors[FIELD] == ["Please choose a file."]
    application.refresh_from_db()
    assert FIELD not in application.data and not Attachment.objects.exists()


# --- who may download ------------------------------------------------------------------------

@pytest.fixture
def submitted_with_file(minato, hanako, storage):
    application = draft(hanako)
    attachment = services.attachment_add(application=application, field=FIELD,
                                         uploaded_file=upload(), actor=hanako.user)
    services.application_save_draft(application=application,
                                    data={**ANSWERS, FIELD: str(attachment.id)},
                                    actor=hanako.user)
    services.application_submit(application=application, actor=hanako.user)
    return application, attachment


def test_another_resident_gets_not_found(client, taro, submitted_with_file):
    application, attachment = submitted_with_file
    client.force_login(taro.user)
    assert client.get(reverse("procedures:application_attachment",
                              args=[application.pk, attachment.id])).status_code == 404
    # Nor through an application of their own.
    own = draft(taro)
    assert client.get(reverse("procedures:application_attachment",
                              args=[own.pk, attachment.id])).status_code == 404
    assert client.get(reverse("procedures:review_attachment",
                              args=[application.pk, attachment.id])).status_code == 403


def test_an_unknown_attachment_is_not_found(client, hanako, reviewer, submitted_with_file):
    application, _attachment = submitted_with_file
    client.force_login(hanako.user)
    assert client.get(reverse("procedures:application_attachment",
                              args=[application.pk, uuid.uuid4()])).status_code == 404
    client.force_login(reviewer)
    assert client.get(reverse("procedures:review_attachment",
                              args=[application.pk, uuid.uuid4()])).status_code == 404
    assert not AuditEvent.objects.filter(action="attachment.read").exists()


def test_anonymous_visitors_are_sent_to_log_in(client, submitted_with_file):
    application, attachment = submitted_with_file
    for name in ("application_attachment", "review_attachment"):
        response = client.get(reverse(f"procedures:{name}",
                                      args=[application.pk, attachment.id]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def other_department_reviewer(minato):
    from cityhall.core.tests.factories import StaffFactory

    return StaffFactory(department="kokuho-nenkin", roles=("application_reviewer",),
                        branch_office="main")


@pytest.mark.parametrize("who", ["other_department_reviewer", "shiba_clerk", "auditor"])
def test_staff_who_may_not_review_it_are_refused(client, request, submitted_with_file, who):
    application, attachment = submitted_with_file
    staff = request.getfixturevalue(who)
    client.force_login(staff)
    response = client.get(reverse("procedures:review_attachment",
                                  args=[application.pk, attachment.id]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="attachment.read").exists()


def test_reviewers_never_see_files_of_a_draft(client, minato, hanako, reviewer, storage):
    application = draft(hanako)
    attachment = services.attachment_add(application=application, field=FIELD,
                                         uploaded_file=upload(), actor=hanako.user)
    client.force_login(reviewer)
    assert client.get(reverse("procedures:review_attachment",
                              args=[application.pk, attachment.id])).status_code == 403
    with pytest.raises(PermissionDeniedError):
        services.attachment_read(application=application, attachment_id=attachment.id,
                                 actor=reviewer)


# --- the form --------------------------------------------------------------------------------

def test_the_form_field_and_the_answers(minato, hanako, storage):
    definition = ApplicationForm.objects.get(procedure=dog(), is_active=True)
    schema = {**definition.schema, "required": [*definition.schema["required"], FIELD]}
    definition = ApplicationForm(procedure=dog(), version=99, schema=schema,
                                 ui={**definition.ui, "fields": {
                                     **definition.ui["fields"],
                                     FIELD: {"label_ja": "写し", "label_en": "Copy",
                                             "widget": "file", "accept": ["image/png"],
                                             "max_bytes": 1536 * 1024}}})
    with translation.override("en"):
        field = SchemaForm(form_definition=definition).fields[FIELD]
        assert field.required and str(field.help_text) == "PNG, up to 1.5 MB."
        assert field.widget.attrs == {"accept": "image/png"}
        attached = Attachment(field=FIELD, original_name="copy.png")
        assert not SchemaForm(form_definition=definition,
                              attachments={FIELD: attached}).fields[FIELD].required
        form = SchemaForm({**GOOD}, {FIELD: upload(PNG, "copy.png", "image/png")},
                          form_definition=definition)
        assert form.is_valid(), form.errors
        assert FIELD not in form.json_data()
        rows = dict(answer_rows(definition, {FIELD: "some id"}, {FIELD: attached}))
        assert rows["Copy"] == "copy.png"
        assert dict(answer_rows(definition, {}, {}))["Copy"] is None


@pytest.mark.parametrize(("spec", "ui_field", "prefill", "message"), [
    ({"type": "string"}, {"accept": ["image/gif"]}, {}, "accepts the file type “image/gif”"),
    ({"type": "string"}, {"accept": "application/pdf"}, {}, "must be a list of file types"),
    ({"type": "string"}, {"accept": []}, {}, "must be a list of file types"),
    ({"type": "string"}, {"accept": [{"type": "pdf"}]}, {}, "which is not allowed"),
    ({"type": "string"}, {"max_bytes": "5MB"}, {}, "must be a positive whole number"),
    ({"type": "string"}, {"max_bytes": 0}, {}, "must be a positive whole number"),
    ({"type": "string"}, {"max_bytes": 1.5}, {}, "must be a positive whole number"),
    ({"type": "string"}, {"max_bytes": True}, {}, "must be a positive whole number"),
    ({"type": "string"}, {"max_bytes": 10 * 1024 * 1024 + 1}, {}, "may be at most 10485760"),
    ({"type": "integer"}, {}, {}, "is a file field: its property must be exactly"),
    ({"type": "string", "format": "date"}, {}, {}, "is a file field"),
    ({"type": "string"}, {}, {"f": "profile.full_name"}, "cannot be prefilled"),
])
def test_malformed_file_fields_are_refused(minato, system_admin, settings, spec, ui_field,
                                           prefill, message):
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    schema = {"type": "object", "properties": {"f": spec}}
    ui = {"fields": {"f": {"label_ja": "f", "label_en": "f", "widget": "file", **ui_field}},
          "prefill": prefill}
    before = ApplicationForm.objects.count()
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        services.application_form_save(procedure=dog(), schema=schema, ui=ui, activate=True,
                                       actor=system_admin)
    assert message in str(error.value.message)
    assert ApplicationForm.objects.count() == before


def test_a_well_formed_file_field_is_accepted(minato, system_admin):
    schema = {"type": "object", "properties": {"f": {"type": "string"}}}
    ui = {"fields": {"f": {"label_ja": "f", "label_en": "f", "widget": "file",
                           "accept": ["application/pdf"], "max_bytes": 1024}}}
    form = services.application_form_save(procedure=dog(), schema=schema, ui=ui,
                                          activate=False, actor=system_admin)
    assert form.pk and not form.is_active
    assert Application.objects.count() == 0


def test_a_business_system_pulls_the_file_with_its_token(client, reviewer,
                                                         submitted_with_file):
    from cityhall.core.models import Department
    from cityhall.procedures.integration import integration_client_create

    _application, attachment = submitted_with_file
    _client, token = integration_client_create(
        name="犬の登録システム", department=Department.objects.get(code="seikatsu-eisei"),
        acting_user=reviewer, actor=None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    pulled = client.get("/api/v1/procedures/integration/applications", **auth).json()
    listed = pulled["applications"][0]["attachments"]
    assert [(item["id"], item["field"], item["sha256"]) for item in listed] == [
        (str(attachment.id), FIELD, hashlib.sha256(PDF).hexdigest())]
    response = client.get(listed[0]["url"], **auth)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="attachment.read", actor=reviewer).exists()
    # Another department's system, no token, or an unknown id: nothing.
    _other, other_token = integration_client_create(
        name="国保システム", department=Department.objects.get(code="kokuho-nenkin"),
        acting_user=reviewer, actor=None)
    assert client.get(listed[0]["url"],
                      HTTP_AUTHORIZATION=f"Bearer {other_token}").status_code == 404
    assert client.get(listed[0]["url"]).status_code == 401
    assert client.get(listed[0]["url"].rsplit("/", 1)[0] + f"/{uuid.uuid4()}",
                      **auth).status_code == 404
    assert client.get(listed[0]["url"].rsplit("/", 1)[0] + "/not-a-uuid",
                      **auth).status_code in (404, 422)
