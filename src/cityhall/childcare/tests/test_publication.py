"""Publishing a confirmed round and its result letters (取組7): the state rules, the notices
to online applicants (once each, in their language, without the result), the letters (one
per household, with the explanation of every wish and the score breakdown), every download
door (anonymous, another resident, staff without the permission, staff with it), and the
letters of a whole round printed in parts by a background task that can stop and go on."""

import io

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pypdf import PdfReader

from cityhall.childcare.letters import RoundLetters
from cityhall.childcare.models import (
    AdmissionRound,
    Application,
    Household,
    LetterBatch,
    OnlineStatus,
    Placement,
    ResultNotice,
)
from cityhall.childcare.services import imports, publication, runs
from cityhall.childcare.tasks import letter_batch_build_task, result_notices_send_task
from cityhall.core import notify
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .admission_fixtures import (
    STANDARD_CAPACITIES,
    STANDARD_ROWS,
    applications_csv,
    capacities_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture
def private_storage(tmp_path, settings, monkeypatch):
    """The private storage in a temporary folder (the letters never land in the real one)."""
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None}}}
    storages._storages.pop("attachments", None)
    # A FileField resolves a callable storage once, when the model is defined: swap it too.
    monkeypatch.setattr(LetterBatch._meta.get_field("file"), "storage",
                        storages["attachments"])
    yield storages["attachments"]
    storages._storages.pop("attachments", None)


@pytest.fixture
def notices():
    """Every notice handed to core.notify, instead of sending it."""
    received = []
    previous = notify.registered_notice_sender()
    notify.register_notice_sender(received.append)
    yield received
    notify.register_notice_sender(previous)


@pytest.fixture
def confirmed(admission_round, officer, hanako, emily):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    # Online applicants: 花子 for A001 (H1), Emily (prefers English) for the twins of H4.
    Application.objects.filter(round=admission_round, number="A001").update(resident=hanako)
    Application.objects.filter(round=admission_round, number__in=["A004", "A005"]).update(
        resident=emily)
    runs.round_run(round=admission_round, actor=officer)
    runs.round_confirm(round=admission_round, actor=officer)
    admission_round.refresh_from_db()
    return admission_round


def app(round_, number) -> Application:
    return Application.objects.get(round=round_, number=number)


def audit_actions(prefix="childcare."):
    return list(AuditEvent.objects.filter(action__startswith=prefix).order_by("pk")
                .values_list("action", flat=True))


def snapshot(round_):
    round_.refresh_from_db()
    return (round_.state, round_.published_at, round_.published_by_id,
            ResultNotice.objects.count(), LetterBatch.objects.count())


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("account_login"))


def pdf_text(raw: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)


# --- publishing -------------------------------------------------------------------------------

def test_publish_moves_a_confirmed_round_to_published_and_queues_the_notices(
        confirmed, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        published = publication.round_publish(round=confirmed, actor=officer)
    assert published.state == AdmissionRound.State.PUBLISHED
    assert published.published_by == officer and published.published_at is not None
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="childcare.round.publish")
    assert event.target_id == str(confirmed.pk) and event.details == {"online_applications": 3}


@pytest.mark.parametrize("state", ["draft", "imported", "matched", "published"])
def test_publish_refuses_every_other_state_and_changes_nothing(confirmed, officer, state,
                                                               django_capture_on_commit_callbacks):
    AdmissionRound.objects.filter(pk=confirmed.pk).update(state=state)
    before, events = snapshot(confirmed), AuditEvent.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationFailed):
        publication.round_publish(round=confirmed, actor=officer)
    assert snapshot(confirmed) == before and AuditEvent.objects.count() == events
    assert callbacks == []


def test_publish_needs_the_permission(confirmed, minato, hanako):
    clerk = StaffFactory(roles=(), branch_office="main", email="clerk@test.cityhall.example")
    before = snapshot(confirmed)
    for actor in (clerk, hanako.user):
        with pytest.raises(PermissionDeniedError):
            publication.round_publish(round=confirmed, actor=actor)
    assert snapshot(confirmed) == before


def test_notices_go_once_to_each_online_applicant_in_their_language(confirmed, officer,
                                                                     notices):
    publication.round_publish(round=confirmed, actor=officer)
    assert result_notices_send_task.call(round_id=confirmed.pk) == "told 3"
    assert sorted((notice.email, notice.key) for notice in notices) == sorted([
        ("hanako@demo.cityhall.example", f"childcare.result:{app(confirmed, 'A001').pk}"),
        ("emily@demo.cityhall.example", f"childcare.result:{app(confirmed, 'A004').pk}"),
        ("emily@demo.cityhall.example", f"childcare.result:{app(confirmed, 'A005').pk}"),
    ])
    emily_notice = next(n for n in notices if n.key.endswith(str(app(confirmed, "A004").pk)))
    assert emily_notice.subject == "Nursery admission: your result is ready"
    assert "A004" in emily_notice.body and confirmed.name in emily_notice.body
    assert emily_notice.url.endswith(reverse("childcare:my_application_letter",
                                             args=[app(confirmed, "A004").pk]))
    for notice in notices:  # no result in the notice itself
        for word in ("テスト第", "admitted", "Not admitted", "score"):
            assert word not in notice.body
    assert ResultNotice.objects.filter(sent_at__isnull=False).count() == 3
    # Run again (a retry, a restarted worker): nothing new is sent.
    assert result_notices_send_task.call(round_id=confirmed.pk) == "told 0"
    assert len(notices) == 3
    assert audit_actions("childcare.result.notify") == ["childcare.result.notify"] * 3


def test_a_notice_that_fails_is_retried_alone(confirmed, officer, notices):
    publication.round_publish(round=confirmed, actor=officer)
    failing = {f"childcare.result:{app(confirmed, 'A005').pk}"}

    def flaky(notice):
        if notice.key in failing:
            raise ConnectionError("mail server down")
        notices.append(notice)

    notify.register_notice_sender(flaky)
    with pytest.raises(publication.NoticesIncomplete):
        publication.result_notices_send(round_id=confirmed.pk)
    assert len(notices) == 2
    assert not ResultNotice.objects.filter(application=app(confirmed, "A005"),
                                           sent_at__isnull=False).exists()
    failing.clear()
    assert publication.result_notices_send(round_id=confirmed.pk) == 1
    assert [n.key for n in notices][-1] == f"childcare.result:{app(confirmed, 'A005').pk}"
    assert len(notices) == 3


def test_no_notice_before_the_round_is_published(confirmed, notices):
    assert publication.result_notices_send(round_id=confirmed.pk) == 0
    assert notices == [] and ResultNotice.objects.count() == 0


# --- the letters ------------------------------------------------------------------------------

def test_one_letter_per_household_with_the_explanation_of_every_wish(confirmed):
    letters = RoundLetters(confirmed)
    households = letters.household_ids()
    assert len(households) == 4  # H1, H2, H3, H4 (the twins share one letter)
    built = {letter.household.family_code: letter for letter in letters.letters(households)}
    assert [c.application.number for c in built["H4"].children] == ["A004", "A005"]
    assert built["H4"].language == "en" and built["H1"].language == "ja"
    assert built["H2"].language == "ja"
    placements = {p.application.number: p for p in Placement.objects.filter(
        run=runs.latest_run(confirmed)).select_related("application", "nursery")}
    for letter in built.values():
        for child in letter.children:
            placement = placements[child.application.number]
            expected = ("not_admitted" if placement.nursery is None else
                        "kept_current" if placement.kept_current else "admitted")
            assert child.outcome == expected
    with translation.override("en"):
        html = letters.html([built["H4"]])
    assert "Notice of" in html and "A004" in html and "A005" in html


def test_the_letter_prints_the_same_explanation_as_the_staff_page(confirmed, officer,
                                                                  client):
    # Every child's wishes: the staff page and the letter say the same, word for word.
    client.force_login(officer)
    letters = RoundLetters(confirmed)
    html = letters.html(letters.letters(letters.household_ids(), language="en"))
    explained = 0
    for application in Application.objects.filter(round=confirmed):
        page = client.get(reverse("childcare:application", args=[application.pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
        for row in page.context["wishes"]:
            if row["status"]:
                assert escape(row["status"]) in html
                explained += row["status"] != "Placed here"
        for item in application.score_breakdown:
            assert item["label"] in html
        assert f"<strong>{application.score}</strong>" in html
    assert explained >= 1  # not only "placed here": the reason of a wish not given


def test_the_pdf_holds_the_letter(confirmed):
    letters = RoundLetters(confirmed)
    household = app(confirmed, "A004").household_id
    raw = letters.pdf(letters.letters([household]))
    text = pdf_text(raw)
    assert raw.startswith(b"%PDF")
    assert "A004" in text and "A005" in text
    assert "Result of your nursery application" in text  # Emily prefers English


# --- downloads --------------------------------------------------------------------------------

def _staff_letter(application):
    return reverse("childcare:application_letter", args=[application.pk])


def _my_letter(application):
    return reverse("childcare:my_application_letter", args=[application.pk])


def test_the_resident_downloads_their_letter_only_after_publication(confirmed, officer,
                                                                     client, hanako, taro):
    own = app(confirmed, "A001")
    client.force_login(hanako.user)
    assert client.get(_my_letter(own)).status_code == 404  # confirmed, not yet published
    publication.round_publish(round=confirmed, actor=officer)
    response = client.get(_my_letter(own))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "A001" in pdf_text(response.content)
    assert _my_letter(own) == f"/childcare/my/applications/{own.pk}/letter.pdf"
    # Someone else's application, a paper application, an unknown id: not found.
    for other in (app(confirmed, "A004"), app(confirmed, "A002")):
        assert client.get(_my_letter(other)).status_code == 404
    assert client.get("/childcare/my/applications/999999/letter.pdf").status_code == 404
    client.force_login(taro.user)
    assert client.get(_my_letter(own)).status_code == 404
    client.logout()
    assert is_login_redirect(client.get(_my_letter(own)))
    # Staff are not the applicant either.
    client.force_login(officer)
    assert client.get(_my_letter(own)).status_code == 404


def test_staff_download_a_household_letter_through_the_audited_door(confirmed, officer,
                                                                     client, hanako):
    application = app(confirmed, "A003")
    assert is_login_redirect(client.get(_staff_letter(application)))
    client.force_login(hanako.user)
    assert client.get(_staff_letter(application)).status_code == 403
    clerk = StaffFactory(roles=(), branch_office="main", email="clerk@test.cityhall.example")
    client.force_login(clerk)
    assert client.get(_staff_letter(application)).status_code == 403
    assert not AuditEvent.objects.filter(action="childcare.application.read").exists()
    client.force_login(officer)
    response = client.get(_staff_letter(application))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    read = AuditEvent.objects.get(action="childcare.application.read")
    assert read.target_id == str(application.pk)
    with translation.override("ja"):  # the purpose is recorded in the request's language
        expected = translation.gettext("Nursery admission: print the result letter")
    assert read.purpose == expected
    page = client.get(reverse("childcare:application", args=[application.pk]))
    assert _staff_letter(application).encode() in page.content


def test_no_staff_letter_before_the_round_is_confirmed(confirmed, officer, client):
    AdmissionRound.objects.filter(pk=confirmed.pk).update(state="matched")
    client.force_login(officer)
    application = app(confirmed, "A003")
    assert client.get(_staff_letter(application)).status_code == 404
    page = client.get(reverse("childcare:application", args=[application.pk]))
    assert _staff_letter(application).encode() not in page.content


# --- the staff pages --------------------------------------------------------------------------

def test_the_round_page_offers_publishing_with_a_confirmation(confirmed, officer, client,
                                                              django_capture_on_commit_callbacks):
    client.force_login(officer)
    round_page = reverse("childcare:round", args=[confirmed.pk])
    publish = reverse("childcare:round_publish", args=[confirmed.pk])
    assert publish.encode() in client.get(round_page).content
    confirm = client.get(publish)
    assert confirm.status_code == 200 and confirm.context["online"] == 3
    assert AdmissionRound.objects.get(pk=confirmed.pk).state == "confirmed"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(publish)
    assert response.status_code == 302 and len(callbacks) == 1
    assert AdmissionRound.objects.get(pk=confirmed.pk).state == "published"
    page = client.get(round_page)
    assert publish.encode() not in page.content
    with translation.override("ja"):
        sent = str(AdmissionRound.State.PUBLISHED.label)
    assert sent in page.content.decode()
    # Publishing again is refused and changes nothing.
    before = snapshot(confirmed)
    assert client.post(publish).status_code == 400
    assert snapshot(confirmed) == before
    # Once published the confirmation page is no longer offered.
    assert client.get(publish).status_code == 302


def test_the_staff_pages_refuse_anonymous_residents_and_staff_without_the_permission(
        confirmed, client, hanako):
    batch = LetterBatch.objects.create(round=confirmed)
    urls = [("get", reverse("childcare:round_publish", args=[confirmed.pk])),
            ("post", reverse("childcare:round_publish", args=[confirmed.pk])),
            ("post", reverse("childcare:letters_request", args=[confirmed.pk])),
            ("get", reverse("childcare:letters_batch", args=[confirmed.pk, batch.pk])),
            ("get", reverse("childcare:letters_download", args=[confirmed.pk, batch.pk]))]
    before = snapshot(confirmed)
    for method, url in urls:
        assert is_login_redirect(getattr(client, method)(url)), url
    clerk = StaffFactory(roles=(), branch_office="main", email="clerk@test.cityhall.example")
    for user in (hanako.user, clerk):
        client.force_login(user)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 403, url
    assert snapshot(confirmed) == before
    assert not AuditEvent.objects.filter(action__startswith="childcare.letters").exists()


# --- the letters of a whole round -------------------------------------------------------------

def test_the_round_letters_are_printed_in_parts_and_downloaded_with_an_audit_event(
        confirmed, officer, client, private_storage, django_capture_on_commit_callbacks):
    client.force_login(officer)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("childcare:letters_request", args=[confirmed.pk]))
    batch = LetterBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "childcare:letters_batch", args=[confirmed.pk, batch.pk])
    assert len(callbacks) == 1 and batch.state == LetterBatch.State.QUEUED
    # Asking again while it prints gives the same batch.
    assert publication.letter_batch_request(round=confirmed, actor=officer) == batch
    progress = client.get(response["Location"])
    assert progress.status_code == 200 and b'http-equiv="refresh"' in progress.content
    LetterBatch.objects.filter(pk=batch.pk).update(part_size=3)
    publication.letter_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.total, batch.parts) == ("done", 4, 4, [])
    assert not private_storage.exists(f"childcare/letters/parts/{batch.pk}-00000.pdf")
    page = client.get(response["Location"])
    assert b'http-equiv="refresh"' not in page.content
    download = reverse("childcare:letters_download", args=[confirmed.pk, batch.pk])
    assert download.encode() in page.content
    assert not AuditEvent.objects.filter(action="childcare.letters.download").exists()
    got = client.get(download)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(got.streaming_content))
    for number in ("A001", "A002", "A003", "A004", "A005"):
        assert number in text
    event = AuditEvent.objects.get(action="childcare.letters.download")
    assert event.actor_id == officer.pk and event.details == {"batch": batch.pk,
                                                              "households": 4}
    assert private_storage.exists(LetterBatch.objects.get().file.name)


def test_the_batch_goes_on_from_the_last_finished_part_after_a_stop(
        confirmed, officer, private_storage, monkeypatch):
    batch = publication.letter_batch_request(round=confirmed, actor=officer)
    printed = []
    original = RoundLetters.pdf

    def stop_after_two_parts(self, letters):
        if len(printed) == 2:
            raise RuntimeError("worker killed")
        printed.append([letter.household.family_code for letter in letters])
        return original(self, letters)

    monkeypatch.setattr(RoundLetters, "pdf", stop_after_two_parts)
    LetterBatch.objects.filter(pk=batch.pk).update(part_size=1)
    with pytest.raises(RuntimeError):
        publication.letter_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.total, len(batch.parts)) == ("running", 2, 4, 2)
    assert printed == [["H1"], ["H2"]]
    printed.clear()
    monkeypatch.setattr(RoundLetters, "pdf", original)
    done = letter_batch_build_task.call(batch_id=batch.pk)
    assert done == "printed 4 of 4"
    batch.refresh_from_db()
    assert batch.state == "done" and batch.done == 4
    with batch.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert [number for number in ("A001", "A002", "A003", "A004") if number in text] == [
        "A001", "A002", "A003", "A004"]
    # A finished batch is left alone when its task runs again.
    assert letter_batch_build_task.call(batch_id=batch.pk) == "printed 4 of 4"


def test_a_stumbling_batch_shows_its_error_and_can_be_started_again(
        confirmed, officer, private_storage, monkeypatch):
    batch = publication.letter_batch_request(round=confirmed, actor=officer)
    monkeypatch.setattr(RoundLetters, "pdf", lambda self, letters: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        publication.letter_batch_build(batch_id=batch.pk)
    LetterBatch.objects.filter(pk=batch.pk).update(error="ZeroDivisionError")
    again = publication.letter_batch_request(round=confirmed, actor=officer)
    assert again != batch
    batch.refresh_from_db()
    assert batch.state == "failed"


def test_letters_need_a_confirmed_round(admission_round, officer):
    with pytest.raises(ValidationFailed):
        publication.letter_batch_request(round=admission_round, actor=officer)
    assert LetterBatch.objects.count() == 0


def test_the_letter_names_the_contact(confirmed):
    letters = RoundLetters(confirmed)
    ids = letters.household_ids()[:1]
    html = letters.html(letters.letters(ids, language="en"))
    assert "Childcare Division" in html  # the default: the childcare division
    confirmed.letter_contact = "保育課 入園相談係\n電話 03-0000-0000"
    confirmed.save()
    letters = RoundLetters(confirmed)
    html = letters.html(letters.letters(ids, language="en"))
    assert "保育課 入園相談係<br>電話 03-0000-0000" in html
    assert "Childcare Division" not in html


def test_an_online_application_that_took_no_part_gets_no_notice_and_no_letter(
        confirmed, officer, notices, client, hanako):
    # 花子's household was only a draft (or was returned): it took no part in the matching.
    Household.objects.filter(applications__number="A001", round=confirmed).update(
        online_status=OnlineStatus.DRAFT)
    publication.round_publish(round=confirmed, actor=officer)
    assert result_notices_send_task.call(round_id=confirmed.pk) == "told 2"
    assert {notice.email for notice in notices} == {"emily@demo.cityhall.example"}
    client.force_login(hanako.user)
    assert client.get(_my_letter(app(confirmed, "A001"))).status_code == 404
    built = RoundLetters(confirmed)
    assert app(confirmed, "A001").household_id not in built.household_ids()
