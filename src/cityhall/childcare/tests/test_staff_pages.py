"""Staff pages of nursery admission (取組7): who may open them, imports through the page,
the run with the real solver, the placements, the child's page with its explanation and the
override with its checks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from cityhall.childcare import demo
from cityhall.childcare.matching.verifier import verify
from cityhall.childcare.models import AdmissionRound, Application, Placement, RoundCapacity
from cityhall.childcare.services import imports, runs
from cityhall.childcare.services.instance import instance_for_round
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .admission_fixtures import (
    STANDARD_CAPACITIES,
    STANDARD_ROWS,
    application_row,
    applications_csv,
    capacities_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_language():
    """The pages activate the request's language; later tests expect the one before."""
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture
def immediate_tasks(settings, django_capture_on_commit_callbacks):
    """Tasks run as soon as they are enqueued, after the request's commit."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    settings.CHILDCARE_MATCHING_TIME_LIMIT = 5
    return lambda: django_capture_on_commit_callbacks(execute=True)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("account_login"))


@pytest.fixture
def imported(admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    return admission_round


@pytest.fixture
def matched(imported, officer):
    runs.round_run(round=imported, actor=officer)
    return imported


def app(round_, number) -> Application:
    return Application.objects.get(round=round_, number=number)


def placement(round_, number) -> Placement:
    return Placement.objects.get(run=runs.latest_run(round_), application=app(round_, number))


def upload(name, raw):
    return SimpleUploadedFile(name, raw, content_type="text/csv")


def pages(round_):
    application = Application.objects.filter(round=round_).order_by("number").first()
    return [("get", reverse("childcare:rounds")),
            ("get", reverse("childcare:round", args=[round_.pk])),
            ("get", reverse("childcare:application", args=[application.pk])),
            ("post", reverse("childcare:round_run", args=[round_.pk])),
            ("post", reverse("childcare:round_confirm", args=[round_.pk])),
            ("post", reverse("childcare:placement_override", args=[application.pk])),
            ("post", reverse("childcare:household_override", args=[application.pk])),
            ("post", reverse("childcare:round_import", args=[round_.pk, "capacities"]))]


def test_anonymous_visitors_are_sent_to_sign_in(client, matched):
    for method, url in pages(matched):
        assert is_login_redirect(getattr(client, method)(url)), url


def test_residents_and_clerks_without_the_role_are_refused_and_nothing_changes(
        client, matched, hanako):
    clerk = StaffFactory(roles=("counter_clerk",))
    before = (Placement.objects.count(), AdmissionRound.objects.get().state,
              RoundCapacity.objects.count())
    for user in (hanako.user, clerk):
        client.force_login(user)
        for method, url in pages(matched):
            data = {"nursery": "none", "reason": "x"} if method == "post" else None
            assert getattr(client, method)(url, data).status_code == 403, (user, url)
    assert (Placement.objects.count(), AdmissionRound.objects.get().state,
            RoundCapacity.objects.count()) == before
    assert not AuditEvent.objects.filter(action="childcare.application.read").exists()


def test_officer_imports_through_the_page(client, admission_round, officer):
    client.force_login(officer)
    url = reverse("childcare:round_import", args=[admission_round.pk, "capacities"])
    response = client.post(url, {"capacities-file": upload("seats.csv", capacities_csv(
        STANDARD_CAPACITIES))})
    assert response.status_code == 302
    assert RoundCapacity.objects.filter(round=admission_round).count() == 11
    url = reverse("childcare:round_import", args=[admission_round.pk, "applications"])
    response = client.post(url, {"applications-file": upload("apps.csv", applications_csv(
        STANDARD_ROWS))})
    assert response.status_code == 302
    assert Application.objects.filter(round=admission_round).count() == 5
    template = client.get(reverse("childcare:template_csv", args=["applications"]))
    assert template.status_code == 200
    assert template.content == imports.applications_template()


def test_a_bad_file_shows_every_error_and_changes_nothing(client, imported, officer):
    client.force_login(officer)
    rows = [application_row("B001", "H1", "2026-13-01", ["N1"]),
            application_row("B002", "H2", "2025-04-01", ["ZZ"])]
    url = reverse("childcare:round_import", args=[imported.pk, "applications"])
    response = client.post(url, {"applications-file": upload("bad.csv", applications_csv(rows))},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "The file has 2 errors; nothing was imported." in text
    assert "Row 2" in text and "Row 3" in text
    assert sorted(Application.objects.filter(round=imported).values_list(
        "number", flat=True)) == ["A001", "A002", "A003", "A004", "A005"]
    # No file at all: a form error, not a 500.
    assert client.post(url, {}).status_code == 400
    assert client.post(reverse("childcare:round_import", args=[imported.pk, "other"]),
                       {}).status_code == 404


def test_officer_runs_the_matching_and_sees_the_placements(client, imported, officer,
                                                           immediate_tasks):
    client.force_login(officer)
    with immediate_tasks():
        response = client.post(reverse("childcare:round_run", args=[imported.pk]))
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.MATCHED
    run = runs.latest_run(imported)
    assert run.placements.count() == 5
    assert run.blocking_coalitions == []
    assert AuditEvent.objects.filter(action="childcare.round.run").count() == 1
    page = client.get(reverse("childcare:round", args=[imported.pk]))
    assert page.status_code == 200
    assert [row.application.number for row in page.context["page"].object_list] == [
        "A001", "A002", "A003", "A004", "A005"]
    for number in ("A001", "A005"):
        assert reverse("childcare:application", args=[app(imported, number).pk]) in \
            page.content.decode()
    unplaced = client.get(reverse("childcare:round", args=[imported.pk]), {"placed": "no"})
    placed = client.get(reverse("childcare:round", args=[imported.pk]), {"placed": "yes"})
    assert (unplaced.context["page"].paginator.count + placed.context["page"].paginator.count
            == 5)
    assert placed.context["page"].paginator.count == run.placed
    assert client.get(reverse("childcare:round", args=[imported.pk]),
                      {"age_class": "9", "page": "x"}).status_code == 200
    assert client.get(reverse("childcare:rounds")).status_code == 200


def test_a_round_without_applications_is_not_run(client, admission_round, officer):
    client.force_login(officer)
    response = client.post(reverse("childcare:round_run", args=[admission_round.pk]),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This round has no applications yet: import them first." in \
        response.content.decode()
    assert not admission_round.runs.exists()


def test_the_child_page_explains_and_is_audited(client, matched, officer):
    client.force_login(officer)
    a002 = app(matched, "A002")
    response = client.get(reverse("childcare:application", args=[a002.pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["wishes"][0]["status"] == (
        "Placed here" if placement(matched, "A002").nursery else
        response.context["wishes"][0]["status"])
    assert AuditEvent.objects.filter(action="childcare.application.read",
                                     target_id=str(a002.pk)).count() == 1


def test_overrides_keep_sibling_rules_and_transfer_children(client, matched, officer):
    # The standard data: A001, A004 and A005 (twins, same_facility_only) fill N1's 0-year-old
    # seats; A003 moves from N2 to N1.
    placed = {row.application.number: row.nursery.code if row.nursery else None
              for row in runs.latest_run(matched).placements.select_related(
                  "application", "nursery")}
    assert placed == {"A001": "N1", "A002": "N2", "A003": "N1", "A004": "N1", "A005": "N1"}
    client.force_login(officer)
    url = reverse("childcare:placement_override", args=[app(matched, "A004").pk])
    for nursery in ("N3", "none"):
        response = client.post(url, {"nursery": nursery, "reason": "保護者の申出"},
                               HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "This change breaks the family&#x27;s sibling rule" in response.content.decode()
    url = reverse("childcare:placement_override", args=[app(matched, "A003").pk])
    response = client.post(url, {"nursery": "none", "reason": "辞退"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "A child who attends a nursery cannot be placed below it or left without a place." \
        in response.content.decode()
    assert placement(matched, "A004").nursery.code == "N1"
    assert placement(matched, "A003").nursery.code == "N1"
    assert not AuditEvent.objects.filter(action="childcare.placement.override").exists()
    # Back to the current nursery is allowed: A003's own seat there is free.
    response = client.post(url, {"nursery": "N2", "reason": "転園取りやめ"})
    assert response.status_code == 302
    row = placement(matched, "A003")
    assert (row.nursery.code, row.kept_current, row.original_nursery.code) == ("N2", True, "N1")
    # Unknown ids and bad values: 404 or 400, never 500.
    assert client.get(reverse("childcare:application", args=[999999])).status_code == 404
    assert client.post(url, {"nursery": "<x>", "reason": "r"}).status_code == 400
    assert client.get(reverse("childcare:round", args=[999999])).status_code == 404
    assert client.get(reverse("childcare:template_csv", args=["x"])).status_code == 404


def test_the_demo_round_runs_through_the_page(client, minato, staff_persona, immediate_tasks):
    officer = staff_persona("hoiku_officer")
    demo.admissions_demo_load()
    round_ = AdmissionRound.objects.get(is_demo=True)
    client.force_login(officer)
    with immediate_tasks():
        assert client.post(reverse("childcare:round_run", args=[round_.pk])).status_code == 302
    run = runs.latest_run(round_)
    assignment = {str(row.application_id): row.nursery.code if row.nursery else None
                  for row in run.placements.select_related("nursery")}
    report = verify(instance_for_round(round_), assignment)
    assert report.feasible
    assert (run.placements.count(), run.placed) == (200, report.placed)
    assert len(run.blocking_coalitions) == len(report.blocking)
    page = client.get(reverse("childcare:round", args=[round_.pk]))
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 50
    assert page.context["figures"]["applications"] == 200
    second = client.get(reverse("childcare:round", args=[round_.pk]), {"page": "2"})
    assert second.context["page"].number == 2
