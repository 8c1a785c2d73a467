"""The documents of residents' online nursery applications (取組7, 添付書類): a resident attaches
the 就労証明書 and other proofs, sees and downloads them, removes one; the type is read from the
content; bad files, bad choices, too many files and a closed round change nothing; another
resident gets "not found"; staff who check the application download them (audited, scoped);
files leave the storage with their rows (removed, or with the withdrawn application)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from cityhall.childcare.models import OnlineDocument, OnlineStatus
from cityhall.childcare.services import online, online_documents
from cityhall.core.errors import NotFoundError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .online_fixtures import close, fill_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40


@pytest.fixture
def storage(settings, tmp_path, monkeypatch):
    """The private attachments storage in a temporary folder (the model field took its
    storage when the model was loaded, so it is pointed at the new one too)."""
    location = tmp_path / "attachments"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(location), "base_url": None}}}
    monkeypatch.setattr(OnlineDocument._meta.get_field("file"), "storage",
                        storages["attachments"])
    return location


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


def stored_files(location) -> list:
    return sorted(path for path in location.rglob("*") if path.is_file()) \
        if location.exists() else []


def upload(content=PDF, name="就労証明書_父.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def documents_url(round_, *parts) -> str:
    return reverse("childcare:my_documents", args=[round_.pk]) + "".join(parts)


def state(household) -> tuple:
    household.refresh_from_db()
    return (list(OnlineDocument.objects.order_by("uploaded_at").values_list(
        "id", "kind", "parent", "sha256")), household.online_status)


def test_a_resident_attaches_sees_and_downloads_and_staff_read_it(
        client, open_round, hanako, officer, storage):
    household = fill_in(open_round, hanako.user)  # sent
    client.force_login(hanako.user)
    page = client.get(documents_url(open_round), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in \
        page.content.decode()
    response = client.post(documents_url(open_round),
                           {"kind": "employment", "parent": "1", "file": upload()})
    assert response.status_code == 302 and response["Location"] == documents_url(open_round)
    document = OnlineDocument.objects.get()
    assert (document.household, document.kind, document.parent) == (household, "employment", 1)
    assert document.original_name == "就労証明書_父.pdf"
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    # Stored under ids, never the resident's name for the file.
    [path] = stored_files(storage)
    assert path.read_bytes() == PDF and "就労" not in str(path)
    assert str(document.id) in str(path)
    # A change makes a sent application a draft again, to be sent again.
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.DRAFT
    assert AuditEvent.objects.filter(action="childcare.online_application.document_add",
                                     actor_label=hanako.user.email).count() == 1
    # Seen on the application and on the check page, downloadable by its owner.
    hub = client.get(reverse("childcare:my_application", args=[open_round.pk])).content
    own_url = documents_url(open_round, f"{document.pk}/")
    assert own_url in hub.decode()
    assert own_url in client.get(reverse("childcare:my_application_check",
                                         args=[open_round.pk])).content.decode()
    download = client.get(own_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in download["Content-Disposition"]

    online.online_application_submit(household=household, actor=hanako.user)
    application = household.applications.get()
    client.force_login(officer)
    page = client.get(reverse("childcare:application", args=[application.pk]))
    staff_url = reverse("childcare:online_document", args=[application.pk, document.pk])
    assert staff_url in page.content.decode()
    download = client.get(staff_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    read = AuditEvent.objects.get(action="childcare.online_application.document_read")
    assert read.actor_label == officer.email and read.purpose
    assert read.details["document"] == str(document.pk)


@pytest.mark.parametrize(("post", "message"), [
    ({"kind": "employment", "parent": "1", "file": upload(EXE, "certificate.pdf")},
     "This kind of file cannot be accepted"),
    ({"kind": "employment", "parent": "1", "file": upload(b"", "empty.pdf")},
     "file is empty"),
    ({"kind": "", "parent": "1", "file": upload()}, "This field is required"),
    ({"kind": "passport", "parent": "1", "file": upload()}, "Select a valid choice"),
    ({"kind": "employment", "parent": "3", "file": upload()}, "Select a valid choice"),
    ({"kind": "employment", "parent": "1"}, "This field is required"),
])
def test_bad_documents_change_nothing(client, open_round, hanako, storage, post, message):
    household = fill_in(open_round, hanako.user)
    client.force_login(hanako.user)
    before = state(household)
    with translation.override("en"):
        response = client.post(documents_url(open_round), post, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert state(household) == before and household.online_status == OnlineStatus.SUBMITTED
    assert stored_files(storage) == []


def test_the_message_is_in_the_residents_language(client, open_round, hanako, storage):
    fill_in(open_round, hanako.user)
    client.force_login(hanako.user)
    response = client.post(documents_url(open_round),
                           {"kind": "employment", "parent": "1",
                            "file": upload(EXE, "certificate.pdf")},
                           HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "この種類のファイルは受け付けられません" in response.content.decode()


def test_the_services_refuse_bad_input_too(open_round, hanako, storage, settings):
    household = fill_in(open_round, hanako.user, submit=False)
    before = state(household)
    cases = [
        ({"kind": "passport", "parent": None}, "bad_kind"),
        ({"kind": "employment", "parent": "9"}, "bad_parent"),
        ({"kind": "employment", "parent": "x"}, "bad_parent"),
    ]
    for choice, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            online_documents.online_document_add(household=household, uploaded_file=upload(),
                                                 actor=hanako.user, **choice)
        assert refused.value.code == code
    with pytest.raises(ValidationFailed) as refused:
        online_documents.online_document_add(household=household, kind="other", parent=None,
                                             uploaded_file=None, actor=hanako.user)
    assert refused.value.field == "file"
    settings.ATTACHMENT_MAX_BYTES = 20
    with pytest.raises(ValidationFailed) as refused:
        online_documents.online_document_add(household=household, kind="other", parent=None,
                                             uploaded_file=upload(), actor=hanako.user)
    assert refused.value.code == "file_size"
    assert state(household) == before and stored_files(storage) == []


def test_at_most_so_many_documents(client, open_round, hanako, storage, monkeypatch):
    monkeypatch.setattr(online_documents, "MAX_DOCUMENTS", 2)
    household = fill_in(open_round, hanako.user, submit=False)
    for parent in (1, 2):
        online_documents.online_document_add(household=household, kind="employment",
                                             parent=parent, uploaded_file=upload(PNG, "a.png"),
                                             actor=hanako.user)
    before, files = state(household), stored_files(storage)
    with pytest.raises(ValidationFailed) as refused:
        online_documents.online_document_add(household=household, kind="other", parent=None,
                                             uploaded_file=upload(), actor=hanako.user)
    assert refused.value.code == "too_many"
    assert state(household) == before and stored_files(storage) == files
    client.force_login(hanako.user)
    with translation.override("en"):
        page = client.get(documents_url(open_round), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "At most 2 documents can be attached" in text and 'type="file"' not in text


def test_removing_a_document_takes_its_file_away(
        client, open_round, hanako, storage, django_capture_on_commit_callbacks):
    household = fill_in(open_round, hanako.user)
    kept = online_documents.online_document_add(
        household=household, kind="employment", parent=1, uploaded_file=upload(),
        actor=hanako.user)
    gone = online_documents.online_document_add(
        household=household, kind="medical", parent=2, uploaded_file=upload(PNG, "診断書.png"),
        actor=hanako.user)
    online.online_application_submit(household=household, actor=hanako.user)
    assert len(stored_files(storage)) == 2
    client.force_login(hanako.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(documents_url(open_round, f"{gone.pk}/remove/"))
    assert response.status_code == 302
    assert list(OnlineDocument.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [path.name for path in stored_files(storage)] == [str(kept.pk)]
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.DRAFT
    assert AuditEvent.objects.filter(
        action="childcare.online_application.document_remove").count() == 1
    # Removing it again: not found, nothing changes.
    assert client.post(documents_url(open_round, f"{gone.pk}/remove/")).status_code == 404


def test_withdrawing_the_application_takes_its_files_away(
        client, open_round, hanako, storage, django_capture_on_commit_callbacks):
    household = fill_in(open_round, hanako.user)
    online_documents.online_document_add(household=household, kind="employment", parent=1,
                                         uploaded_file=upload(), actor=hanako.user)
    client.force_login(hanako.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("childcare:my_application_withdraw",
                                       args=[open_round.pk]))
    assert response.status_code == 302
    assert not OnlineDocument.objects.exists() and stored_files(storage) == []


def test_a_closed_round_takes_no_documents_but_shows_them(
        client, open_round, hanako, storage):
    household = fill_in(open_round, hanako.user)
    document = online_documents.online_document_add(
        household=household, kind="employment", parent=1, uploaded_file=upload(),
        actor=hanako.user)
    online.online_application_submit(household=household, actor=hanako.user)
    close(open_round)
    before, files = state(household), stored_files(storage)
    for call, kwargs in ((online_documents.online_document_add,
                          {"kind": "other", "parent": None, "uploaded_file": upload()}),
                         (online_documents.online_document_remove,
                          {"document_id": document.pk})):
        with pytest.raises(ValidationFailed) as refused:
            call(household=household, actor=hanako.user, **kwargs)
        assert refused.value.code == "closed"
    client.force_login(hanako.user)
    response = client.post(documents_url(open_round), {"kind": "other", "file": upload()})
    assert response.status_code == 302  # back to the application, with a message
    response = client.post(documents_url(open_round, f"{document.pk}/remove/"))
    assert response.status_code == 302
    with translation.override("en"):
        page = client.get(documents_url(open_round), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200 and document.original_name in text
    assert 'type="file"' not in text and "can no longer be attached" in text
    assert client.get(documents_url(open_round, f"{document.pk}/")).status_code == 200
    assert state(household) == before and stored_files(storage) == files


def test_another_resident_gets_not_found(client, open_round, hanako, taro, storage):
    household = fill_in(open_round, hanako.user)
    document = online_documents.online_document_add(
        household=household, kind="employment", parent=1, uploaded_file=upload(),
        actor=hanako.user)
    fill_in(open_round, taro.user, children=[("麻布 太一", "アザブ タイチ", "2025-06-01", None,
                                             ("N1",))])
    before = state(household)
    client.force_login(taro.user)
    # Taro's own round page exists; hanako's document is not in it.
    for url, method in ((documents_url(open_round, f"{document.pk}/"), client.get),
                        (documents_url(open_round, f"{document.pk}/remove/"), client.post)):
        assert method(url).status_code == 404
    with pytest.raises(NotFoundError):
        online_documents.online_document_remove(household=household, document_id=document.pk,
                                                actor=taro.user)
    with pytest.raises(NotFoundError):
        online_documents.online_document_add(household=household, kind="other", parent=None,
                                             uploaded_file=upload(), actor=taro.user)
    # Nor may anyone reach it through a staff address.
    staff_url = reverse("childcare:online_document",
                        args=[household.applications.get().pk, document.pk])
    assert client.get(staff_url).status_code == 403  # not staff
    client.logout()
    response = client.get(documents_url(open_round, f"{document.pk}/"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert state(household) == before


def test_staff_downloads_are_scoped_and_need_the_check_permission(
        client, open_round, hanako, taro, officer, storage):
    household = fill_in(open_round, hanako.user)
    document = online_documents.online_document_add(
        household=household, kind="employment", parent=1, uploaded_file=upload(),
        actor=hanako.user)
    online.online_application_submit(household=household, actor=hanako.user)
    application = household.applications.get()
    url = reverse("childcare:online_document", args=[application.pk, document.pk])
    # A clerk of another branch office who may check applications of her own: refused.
    group = Group.objects.create(name="test_branch_nursery_checker")
    group.permissions.add(*Permission.objects.filter(
        content_type__app_label="childcare",
        codename__in=["view_application", "verify_online_application"]))
    clerk = StaffFactory(roles=("counter_clerk",), branch_office="azabu")
    clerk.groups.add(group)
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="childcare.application.read_denied").exists()
    # Staff without the check permission: refused before anything is read.
    client.force_login(StaffFactory(roles=("counter_clerk",), branch_office="shiba"))
    assert client.get(url).status_code == 403
    # Another household's document through this application's address: not found.
    theirs = fill_in(open_round, taro.user, children=[
        ("麻布 太一", "アザブ タイチ", "2025-06-01", None, ("N1",))])
    their_document = online_documents.online_document_add(
        household=theirs, kind="other", parent=None, uploaded_file=upload(), actor=taro.user)
    client.force_login(officer)
    for missing in (their_document.pk, "00000000-0000-0000-0000-000000000000"):
        assert client.get(reverse("childcare:online_document",
                                  args=[application.pk, missing])).status_code == 404
    assert not AuditEvent.objects.filter(
        action="childcare.online_application.document_read").exists()
