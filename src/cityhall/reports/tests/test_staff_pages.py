"""The back-office pages of street-problem reports (取組13): who may open each page and post
each action, what the pages show, and that refused input changes nothing."""

import hashlib

import pytest
from django.urls import reverse

from cityhall.core.models import AuditEvent, Department, Town

from ..models import Open311Client, Report, ReportUpdate
from .factories import MINATO_LIBRARY, jpeg_bytes, make_report, upload
from .staff_fixtures import EN, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def report():
    return make_report(place=MINATO_LIBRARY, contact_name="港 太郎",
                       contact_email="taro@example.jp", contact_phone="03-1234-5678",
                       photos=[upload(jpeg_bytes())])


def page_urls(report):
    return [reverse("reports:staff_queue"), reverse("reports:staff_summary"),
            reverse("reports:staff_categories"),
            reverse("reports:staff_report", args=[report.reference]),
            reverse("reports:staff_report_photo", args=[report.reference,
                                                        report.photos.get().pk])]


def test_anonymous_visitors_are_sent_to_sign_in(client, report):
    for url in [*page_urls(report), reverse("reports:staff_report_new"),
                reverse("reports:staff_open311_clients")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))


def test_residents_and_staff_without_the_permission_are_refused(client, hanako, shiba_clerk,
                                                                report):
    for user in (hanako.user, shiba_clerk):
        client.force_login(user)
        for url in [*page_urls(report), reverse("reports:staff_report_new"),
                    reverse("reports:staff_open311_clients")]:
            assert client.get(url).status_code == 403, url
        response = client.post(reverse("reports:staff_report", args=[report.reference]),
                               {"action": "status", "status-status": "acknowledged"})
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="reports.report.r").exists()


def test_staff_of_another_department_get_not_found(client, azabu_officer, report):
    client.force_login(azabu_officer)
    response = client.get(reverse("reports:staff_queue"))
    assert response.status_code == 200
    assert report.reference not in response.content.decode()
    for url in page_urls(report)[3:]:
        assert client.get(url).status_code == 404
    before = snapshot(report)
    response = client.post(reverse("reports:staff_report", args=[report.reference]),
                           {"action": "status", "status-status": "acknowledged"})
    assert response.status_code == 404
    assert snapshot(report) == before


def test_the_queue_lists_the_officers_reports_with_their_service_level(client, officer,
                                                                       report):
    client.force_login(officer)
    response = client.get(reverse("reports:staff_queue"), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert report.reference in page
    assert "On time" in page
    assert "taro@example.jp" not in page and "港 太郎" not in page
    assert not AuditEvent.objects.filter(action="reports.report.read").exists()
    response = client.get(reverse("reports:staff_queue"), {"status": "fixed"})
    assert report.reference not in response.content.decode()
    response = client.get(reverse("reports:staff_queue"), {"overdue": "on", "mine": "on"})
    assert response.status_code == 200


@pytest.mark.parametrize("query", [{"status": "zombie"}, {"department": "nope"},
                                   {"category": "\x00"}, {"branch_office": "x" * 300}])
def test_bad_queue_filters_are_a_400_not_a_500(client, officer, query):
    client.force_login(officer)
    assert client.get(reverse("reports:staff_queue"), query).status_code == 400


def test_the_report_page_shows_everything_to_staff_and_audits_the_read(client, officer,
                                                                       report):
    client.force_login(officer)
    response = client.get(reverse("reports:staff_report", args=[report.reference]), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("港 太郎", "taro@example.jp", "03-1234-5678", "Status and replies",
                 "Hand to another department", "Merge as a duplicate", "Photo 1"):
        assert text in page
    assert AuditEvent.objects.filter(action="reports.report.read", actor=officer,
                                     target_id=str(report.pk)).count() == 1
    photo = client.get(reverse("reports:staff_report_photo",
                               args=[report.reference, report.photos.get().pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "no-store" in photo["Cache-Control"]
    assert client.get(reverse("reports:staff_report_photo",
                              args=[report.reference, 999999])).status_code == 404


def test_acknowledging_from_the_page(client, officer, report):
    client.force_login(officer)
    url = reverse("reports:staff_report", args=[report.reference])
    response = client.post(url, {"action": "status", "status-status": "acknowledged",
                                 "status-public_note": "確認しました",
                                 "status-internal_note": "現地へ"})
    assert response.status_code == 302 and response["Location"] == url
    report.refresh_from_db()
    assert report.status == Report.Status.ACKNOWLEDGED
    history = client.get(url).content.decode()
    assert "確認しました" in history and "現地へ" in history


@pytest.mark.parametrize("data", [
    {"action": "status", "status-status": "duplicate"},
    {"action": "status", "status-status": "new"},
    {"action": "status", "status-status": "fixed", "status-expected_on": "2026-13-45"},
    {"action": "assign", "assign-assignee": "999999"},
    {"action": "hand_off", "hand_off-department": "no-such-department"},
    {"action": "merge", "merge-into": "2026-999999"},
    {"action": "merge", "merge-into": ""},
    {"action": "relocate", "relocate-latitude": "35.658034",
     "relocate-longitude": "139.701636"},
    {"action": "relocate"},
    {"action": "moderate", "moderate-is_public": "on", "moderate-public_description": ""},
    {"action": "moderate", "moderate-photos": ["abc"]},
    {"action": "teleport"},
    {},
])
def test_bad_input_on_the_report_page_is_a_400_and_changes_nothing(client, officer, report,
                                                                   data):
    client.force_login(officer)
    before = snapshot(report)
    response = client.post(reverse("reports:staff_report", args=[report.reference]), data,
                           **EN)
    assert response.status_code == 400
    assert snapshot(report) == before


def test_merging_into_the_report_itself_from_the_page(client, officer, report):
    client.force_login(officer)
    response = client.post(reverse("reports:staff_report", args=[report.reference]),
                           {"action": "merge", "merge-into": report.reference}, **EN)
    assert response.status_code == 400
    assert "A report cannot be a duplicate of itself." in response.content.decode()


def test_page_actions_assign_hand_off_merge_relocate_and_moderate(client, officer, manager,
                                                                  report):
    client.force_login(manager)
    url = reverse("reports:staff_report", args=[report.reference])
    assert client.post(url, {"action": "assign", "assign-assignee": str(officer.pk)}
                       ).status_code == 302
    town = Town.objects.get(name="芝公園", chome=4)
    assert client.post(url, {"action": "relocate", "relocate-town": str(town.pk)}
                       ).status_code == 302
    photo = report.photos.get()
    assert client.post(url, {"action": "moderate", "moderate-is_public": "on",
                             "moderate-public_description": "車道の穴",
                             "moderate-photos": [str(photo.pk)]}).status_code == 302
    other = make_report(place=MINATO_LIBRARY)
    assert client.post(reverse("reports:staff_report", args=[other.reference]), {
        "action": "merge", "merge-into": report.reference}).status_code == 302
    assert client.post(url, {"action": "hand_off", "hand_off-department": "doboku"}
                       ).status_code == 302
    report.refresh_from_db()
    other.refresh_from_db()
    photo.refresh_from_db()
    assert (report.town, report.public_description, report.is_public, photo.is_public) == (
        town, "車道の穴", True, True)
    assert report.department.code == "doboku" and report.assigned_to is None
    assert other.duplicate_of == report
    assert list(report.updates.values_list("kind", flat=True)) == [
        "created", "assigned", "routed", "moderated", "note", "handed_off"]


def test_a_hand_off_out_of_the_officers_scope_returns_to_the_queue(client, staff_member):
    doboku = staff_member("main", "doboku")
    report = make_report(code="graffiti", place=MINATO_LIBRARY, attributes={})
    report.department = Department.objects.get(code="doboku")
    report.save(update_fields=["department"])
    client.force_login(doboku)
    response = client.post(reverse("reports:staff_report", args=[report.reference]),
                           {"action": "hand_off", "hand_off-department": "doboku-kanri"})
    assert response["Location"] == reverse("reports:staff_queue")
    assert client.get(reverse("reports:staff_report", args=[report.reference])
                      ).status_code == 404


# --- filing for a caller --------------------------------------------------------------------

def test_filing_a_report_for_a_caller(client, officer):
    client.force_login(officer)
    url = reverse("reports:staff_report_new")
    assert client.get(url).status_code == 200
    assert client.get(url, {"category": "nope"}).status_code == 400
    form = client.get(url, {"category": "streetlight"}, **EN)
    assert form.status_code == 200 and "Caller&#x27;s phone" in form.content.decode()
    response = client.post(f"{url}?category=streetlight", {
        "description": "街灯が消えています", "address": "東京都港区芝公園4-2-8",
        "attr_state": "dark", "contact_name": "電話 花子", "contact_phone": "03-1111-2222",
        "language": "ja"})
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:staff_report", args=[report.reference])
    assert (report.source, report.contact_name, report.department.code) == (
        "staff", "電話 花子", "shiba-machizukuri")


@pytest.mark.parametrize("data", [
    {"description": "", "address": "東京都港区芝公園4-2-8", "attr_state": "dark"},
    {"description": "消えている", "address": "渋谷区道玄坂1-1", "attr_state": "dark"},
    {"description": "消えている", "address": "東京都港区芝公園4-2-8"},
    {"description": "消えている", "address": "東京都港区芝公園4-2-8", "attr_state": "dark",
     "contact_phone": "abc"},
    {"description": "消えている", "latitude": "35.658034", "longitude": "139.701636",
     "attr_state": "dark"},
])
def test_bad_caller_reports_are_refused_and_nothing_is_filed(client, officer, data):
    client.force_login(officer)
    response = client.post(reverse("reports:staff_report_new") + "?category=streetlight",
                           {"language": "ja", **data})
    assert response.status_code == 400
    assert not Report.objects.exists()


# --- summary, categories --------------------------------------------------------------------

def test_the_summary_page_and_its_csv(client, manager, report):
    client.force_login(manager)
    url = reverse("reports:staff_summary")
    response = client.get(url, **EN)
    assert response.status_code == 200 and "Received" in response.content.decode()
    month = report.created_at.astimezone().strftime("%Y-%m")
    utf8 = client.get(url, {"month": month, "format": "csv", "encoding": "utf-8"})
    assert utf8["Content-Type"] == "text/csv; charset=utf-8"
    assert utf8.content.startswith(b"\xef\xbb\xbf")
    assert f'street-reports-{month}-utf-8.csv' in utf8["Content-Disposition"]
    cp932 = client.get(url, {"month": month, "format": "csv", "encoding": "cp932"})
    assert cp932["Content-Type"] == "text/csv; charset=shift_jis"
    assert "道路の穴" in cp932.content.decode("cp932")
    for bad in ({"month": "2026-13"}, {"month": "abc"}, {"month": "0001-01"},
                {"encoding": "ebcdic", "format": "csv"}):
        assert client.get(url, bad).status_code == 400, bad


def test_the_categories_page_links_managers_to_the_admin(client, officer, manager):
    client.force_login(officer)
    page = client.get(reverse("reports:staff_categories"), **EN).content.decode()
    assert "Acknowledge within 24 hours, fix within 14 days" in page
    assert "/admin/" not in page
    client.force_login(manager)
    page = client.get(reverse("reports:staff_categories")).content.decode()
    assert reverse("admin:reports_servicecategory_change", args=[
        Report._meta.get_field("category").related_model.objects.get(
            code="road-surface").pk]) in page


def test_the_admin_lists_reports_without_contact_details_and_saves_categories(
        client, manager, officer, report):
    from ..models import ServiceCategory

    client.force_login(manager)
    listing = client.get(reverse("admin:reports_report_changelist"))
    assert listing.status_code == 200 and report.reference in listing.content.decode()
    detail = client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert detail.status_code == 200
    assert "taro@example.jp" not in detail.content.decode()
    assert "03-1234-5678" not in detail.content.decode()
    category = ServiceCategory.objects.get(code="graffiti")
    change = reverse("admin:reports_servicecategory_change", args=[category.pk])
    assert client.get(change).status_code == 200
    response = client.post(reverse("admin:reports_report_changelist"), {
        "action": "acknowledge", "_selected_action": [str(report.pk)]})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.ACKNOWLEDGED
    client.force_login(officer)
    assert client.get(change).status_code == 200  # officers may view categories only
    assert client.post(change, {"name": "x"}).status_code == 403
    category.refresh_from_db()
    assert category.name == "落書き"


# --- Open311 keys ---------------------------------------------------------------------------

def test_issuing_and_revoking_an_open311_key(client, manager, officer):
    client.force_login(officer)
    assert client.get(reverse("reports:staff_open311_clients")).status_code == 403
    client.force_login(manager)
    url = reverse("reports:staff_open311_clients")
    response = client.post(url, {"action": "issue", "issue-name": "道路通報アプリ",
                                 "issue-contact_email": "dev@example.jp"}, **EN)
    assert response.status_code == 200
    raw_key = response.context["issued"]["key"]
    client_row = Open311Client.objects.get()
    assert raw_key in response.content.decode()
    assert client_row.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert client_row.key_prefix == raw_key[:8] and client_row.created_by == manager
    assert raw_key not in client.get(url).content.decode()  # shown once
    response = client.post(url, {"action": "revoke", "client": str(client_row.pk)})
    assert response.status_code == 302
    client_row.refresh_from_db()
    assert not client_row.is_active
    assert client.post(url, {"action": "revoke", "client": str(client_row.pk)}
                       ).status_code == 400
    assert AuditEvent.objects.filter(action__startswith="reports.open311_client").count() == 2


@pytest.mark.parametrize("data", [
    {"action": "issue", "issue-name": ""},
    {"action": "issue", "issue-name": "x", "issue-contact_email": "not-an-email"},
    {"action": "revoke", "client": "abc"},
    {"action": "revoke", "client": "999999"},
    {"action": "mint"},
])
def test_bad_key_requests_change_nothing(client, manager, data):
    client.force_login(manager)
    response = client.post(reverse("reports:staff_open311_clients"), data)
    assert response.status_code in (400, 404)
    assert not Open311Client.objects.exists()


def test_the_back_office_home_links_to_the_reports_pages(client, officer, manager):
    client.force_login(officer)
    page = client.get(reverse("core:staff_home")).content.decode()
    assert reverse("reports:staff_queue") in page
    assert reverse("reports:staff_open311_clients") not in page
    client.force_login(manager)
    page = client.get(reverse("core:staff_home")).content.decode()
    assert reverse("reports:staff_open311_clients") in page


def test_history_rows_say_what_happened(client, officer, manager, report):
    from ..services import triage

    triage.report_assign(report=report, assignee=officer, actor=manager)
    triage.report_hand_off(report=report, department=Department.objects.get(code="doboku"),
                           actor=manager)
    client.force_login(manager)
    page = client.get(reverse("reports:staff_report", args=[report.reference]),
                      **EN).content.decode()
    assert "To 芝 道路係" in page
    assert "From 芝地区総合支所 まちづくり課 to 街づくり支援部 土木課" in page
    assert ReportUpdate.objects.filter(report=report).count() == 3
