"""Residents' online nursery applications (取組7): the whole way from applying to the
matching, each validation refusing bad input without changing anything, closed rounds, who
may reach an application (another resident: not found; anonymous: sign in; staff: scoped and
audited), the document check and the return, the run's gate, the import keeping online
applications, and the score being the import's for the same facts."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from cityhall.childcare.models import (
    AdmissionRound,
    Application,
    ApplicationPoints,
    ApplicationWish,
    Household,
    OnlineStatus,
)
from cityhall.childcare.services import imports, online, runs
from cityhall.childcare.services.instance import instance_for_round
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .admission_fixtures import application_row, applications_csv
from .online_fixtures import close, fill_in, nursery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture(autouse=True)
def _tasks_now(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}


def state() -> tuple:
    """Everything an online application writes, to assert that nothing changed."""
    return (
        list(Household.objects.order_by("pk").values_list(
            "pk", "online_status", "online_claims", "sibling_rule", "resident_tax",
            "single_parent", "submitted_at", "verified_at", "return_reason")),
        list(Application.objects.order_by("pk").values_list(
            "pk", "child_name", "child_name_kana", "date_of_birth", "age_class",
            "current_nursery", "score")),
        list(ApplicationWish.objects.order_by("pk").values_list("application", "rank",
                                                                "nursery")),
        ApplicationPoints.objects.count(),
        AdmissionRound.objects.order_by("pk").values_list("state", flat=True)[::1],
    )


def mine(round_, *parts) -> str:
    return reverse("childcare:my_application", args=[round_.pk]) + "".join(parts)


def child_post(**changes) -> dict:
    data = {"child_name": "港 一郎", "child_name_kana": "ミナト イチロウ",
            "date_of_birth": "2026-05-10", "current_nursery": ""}
    data.update(changes)
    return data


def wishes_post(*nurseries) -> dict:
    return {f"wish_{rank}": str(item.pk) if item else ""
            for rank, item in enumerate(nurseries, start=1)}


def family_post(**changes) -> dict:
    data = {"parent1": "full", "parent2": "part", "adjustments": ["sibling"],
            "resident_tax": "100000", "sibling_rule": "independent"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- the whole way -----------------------------------------------------------------------------

def test_a_resident_applies_online_staff_check_it_and_it_is_matched(
        client, open_round, hanako, officer):
    client.force_login(hanako.user)
    page = client.get(reverse("childcare:apply"))
    assert page.status_code == 200 and open_round.name in page.content.decode()
    response = client.post(reverse("childcare:apply_start", args=[open_round.pk]))
    household = Household.objects.get(round=open_round, resident=hanako)
    assert response["Location"] == mine(open_round, "children/new/")
    assert household.online_status == OnlineStatus.DRAFT
    assert household.branch_office.code == "shiba"  # from her address
    # Two children: twins born 2026-05-10 (0歳児 on 1 April 2027).
    for name in ("港 一郎", "港 二郎"):
        response = client.post(mine(open_round, "children/new/"), child_post(child_name=name))
        application = Application.objects.get(household=household, child_name=name)
        assert response["Location"] == mine(open_round,
                                            f"children/{application.pk}/wishes/")
        assert application.age_class == 0 and application.resident == hanako
        page = client.get(response["Location"])
        assert "テスト第一保育園" in page.content.decode()
        response = client.post(response["Location"],
                               wishes_post(nursery("N3"), None, nursery("N1")))
        assert response["Location"] == mine(open_round)
        assert application.wish_codes() == ("N3", "N1")  # the empty line is skipped
    page = client.get(mine(open_round, "family/"))
    assert "same_facility_only" in page.content.decode()  # the rule is asked: 2 children
    response = client.post(mine(open_round, "family/"),
                           family_post(sibling_rule="same_facility_only"))
    assert response["Location"] == mine(open_round, "check/")
    with translation.override("en"):
        page = client.get(mine(open_round, "check/"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "checks every claim against your documents" in text
    assert "<strong>34</strong>" in text  # 20 + 12 + 2
    response = client.post(mine(open_round, "check/"))
    assert response["Location"] == mine(open_round)
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.SUBMITTED and household.submitted_at
    assert household.sibling_rule == "same_facility_only"
    assert [a.score for a in household.applications.all()] == [34, 34]
    # Not yet in the matching: staff have not checked the documents.
    assert instance_for_round(open_round).children == ()

    client.force_login(officer)
    page = client.get(reverse("childcare:round", args=[open_round.pk]))
    assert page.status_code == 200
    first = household.applications.order_by("number").first()
    assert reverse("childcare:application", args=[first.pk]) in page.content.decode()
    response = client.post(reverse("childcare:online_verify", args=[first.pk]))
    assert response.status_code == 302
    household.refresh_from_db()
    open_round.refresh_from_db()
    assert household.online_status == OnlineStatus.VERIFIED
    assert household.verified_by == officer
    assert open_round.state == AdmissionRound.State.IMPORTED
    children = {child.id: child for child in instance_for_round(open_round).children}
    assert set(children) == {str(a.pk) for a in household.applications.all()}
    assert children[str(first.pk)].wishes == ("N3", "N1")
    family = instance_for_round(open_round).families[0]
    assert family.id == household.family_code and family.sibling_rule == "same_facility_only"
    actions = list(AuditEvent.objects.filter(action__startswith="childcare.online_application.")
                   .order_by("sequence").values_list("action", flat=True))
    assert actions[0] == "childcare.online_application.start"
    assert actions[-2:] == ["childcare.online_application.submit",
                            "childcare.online_application.verify"]

    # After the close the round runs; both twins fit together in N3 (0歳: 2 seats).
    close(open_round)
    run = runs.round_run(round=open_round, actor=officer)
    assert run.placed == 2
    open_round.refresh_from_db()
    open_round.state = AdmissionRound.State.PUBLISHED
    open_round.save()
    client.force_login(hanako.user)
    page = client.get(reverse("childcare:my_applications"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Result sent" in text and "テスト第三保育園" in text
    try:
        letter = reverse("childcare:my_application_letter", args=[first.pk])
    except NoReverseMatch:  # the letter page may not be in this branch
        letter = None
    if letter:
        assert letter in text


def test_the_score_is_the_imports_for_the_same_facts(open_round, hanako, officer):
    household = fill_in(open_round, hanako.user, parents=("full", "part"),
                        adjustments=("sibling", "short"))
    online_app = household.applications.get()
    imports.applications_import(round=open_round, actor=officer, raw=applications_csv([
        application_row("A001", "H1", "2026-05-10", ["N1", "N3"], parent1="full",
                        parent2="part", adjustments="sibling;short")]))
    imported = Application.objects.get(round=open_round, number="A001")
    online_app.refresh_from_db()
    assert (online_app.score, online_app.basic_points, online_app.adjustment_points) == (
        imported.score, imported.basic_points, imported.adjustment_points) == (33, 32, 1)
    # The same lines (the online form lists the adjustments in the table's order).
    assert sorted(online_app.score_breakdown, key=str) == sorted(imported.score_breakdown,
                                                                key=str)
    assert sorted(online_app.points.values_list("parent", "item__code"), key=str) == sorted(
        imported.points.values_list("parent", "item__code"), key=str)
    assert online_app.age_class == imported.age_class == 0
    # The import kept the online application (it is not one of its rows).
    assert Household.objects.filter(pk=household.pk).exists()
    assert online.score_preview(household)["score"] == 33


# --- bad input changes nothing -----------------------------------------------------------------

@pytest.fixture
def started(open_round, hanako):
    """Hanako's draft with one child (0歳児, wishes N1 then N3) and the family's situation."""
    return fill_in(open_round, hanako.user, submit=False)


@pytest.mark.parametrize(("changes", "message"), [
    ({"child_name": ""}, "This field is required"),
    ({"child_name_kana": "minato"}, "Write the name in hiragana or katakana"),
    ({"child_name_kana": "x" * 101}, "at most 100 characters"),
    ({"date_of_birth": "2026-02-30"}, "Enter a valid date"),
    ({"date_of_birth": "2099-01-01"}, "The date of birth is in the future"),
    ({"date_of_birth": "2019-06-01"}, "past nursery age"),
    ({"current_nursery": "999999"}, "Select a valid choice"),
    ({"child_name": "港　一郎"}, "This child is already in the application"),  # same child
])
def test_bad_child_details_change_nothing(client, started, hanako, changes, message):
    client.force_login(hanako.user)
    before = state()
    with translation.override("en"):
        response = client.post(mine(started.round, "children/new/"), child_post(**changes),
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(("wishes", "message"), [
    ((), "At least one wish is needed"),
    (("N1", "N1"), "is wished twice"),
])
def test_bad_wishes_change_nothing(client, started, hanako, wishes, message):
    client.force_login(hanako.user)
    application = started.applications.get()
    before = state()
    with translation.override("en"):
        response = client.post(mine(started.round, f"children/{application.pk}/wishes/"),
                               wishes_post(*[nursery(code) for code in wishes]),
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and message in response.content.decode()
    assert state() == before


def test_a_wish_must_take_the_age_class_and_not_be_the_current_nursery(
        client, open_round, hanako):
    # A 1歳児 (born 2025-06-01) attending N3: N2 has no 1歳児 seats; N3 is where it is now.
    household = fill_in(open_round, hanako.user, submit=False, children=[
        ("港 花", "ミナト ハナ", "2025-06-01", "N3", ("N1",))])
    application = household.applications.get()
    assert application.age_class == 1
    client.force_login(hanako.user)
    url = mine(open_round, f"children/{application.pk}/wishes/")
    page = client.get(url)
    assert "テスト第二保育園" not in page.content.decode()  # not offered
    before = state()
    for wishes, message in (
            ([nursery("N2")], "Select a valid choice"),  # not in the list
            ([nursery("N3")], "Select a valid choice")):
        response = client.post(url, wishes_post(*wishes), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, message
    assert state() == before
    # The service refuses them too (a form is not the only door).
    for wishes in ([nursery("N2")], [nursery("N1"), nursery("N3")],
                   [nursery("N1")] * 2, [None]):
        with pytest.raises(ValidationFailed):
            online.online_wishes_save(application=application, nurseries=wishes,
                                      actor=hanako.user)
    many = [nursery("N1")] + [None] * 20 + [nursery("N1")]
    with pytest.raises(ValidationFailed):
        online.online_wishes_save(application=application, nurseries=many, actor=hanako.user)
    assert state() == before


def test_at_most_twenty_wishes(started, hanako):
    application = started.applications.get()
    with translation.override("en"):
        errors = online.wish_errors(application, [nursery("N1")] * 21)
    assert errors[0][0] == 21 and "At most 20" in errors[0][1]


@pytest.mark.parametrize(("changes", "message"), [
    ({"parent1": ""}, "This field is required"),
    ({"parent1": "sibling"}, "Select a valid choice"),  # an adjustment, not a situation
    ({"adjustments": ["full"]}, "Select a valid choice"),
    ({"resident_tax": "-1"}, "greater than or equal to 0"),
    ({"resident_tax": "abc"}, "Enter a whole number"),
    ({"sibling_rule": "same_facility_only"}, None),  # one child: the rule is not asked
])
def test_bad_family_facts_change_nothing(client, started, hanako, changes, message):
    client.force_login(hanako.user)
    before = state()
    with translation.override("en"):
        response = client.post(mine(started.round, "family/"), family_post(**changes),
                               HTTP_ACCEPT_LANGUAGE="en")
    if message is None:
        # The field is not on the form for one child: the rule stays "independent".
        assert response.status_code == 302
        started.refresh_from_db()
        assert started.sibling_rule == "independent"
        return
    assert response.status_code == 400 and message in response.content.decode()
    assert state() == before


def test_the_services_refuse_bad_family_facts(started, hanako):
    before = state()
    base = {"household": started, "parent1": "full", "parent2": "", "adjustments": [],
            "sibling_rule": "independent", "single_parent": False, "public_assistance": False,
            "disability": False, "sibling_enrolled": False, "resident_tax": None,
            "actor": hanako.user}
    for changes in ({"parent1": ""}, {"parent2": "sibling"}, {"adjustments": ["nope"]},
                    {"sibling_rule": "same_facility_only"}, {"sibling_rule": "bogus"},
                    {"resident_tax": -5}, {"resident_tax": 10**13}):
        with pytest.raises(ValidationFailed):
            online.online_family_save(**{**base, **changes})
    assert state() == before


def test_an_incomplete_application_cannot_be_sent(client, open_round, hanako):
    household = online.online_application_start(round=open_round, actor=hanako.user)
    client.force_login(hanako.user)
    before = state()
    response = client.post(mine(open_round, "check/"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "Add at least one child" in response.content.decode()
    assert state() == before
    online.online_child_save(household=household, child_name="港 一郎",
                             child_name_kana="みなと いちろう",
                             date_of_birth=datetime.date(2026, 5, 10), current_nursery=None,
                             actor=hanako.user)
    problems = online.submit_problems(household)
    assert any("wished nurseries" in problem for problem in problems)
    assert any("situation of the parents" in problem for problem in problems)
    with pytest.raises(ValidationFailed):
        online.online_application_submit(household=household, actor=hanako.user)
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.DRAFT


def test_one_application_per_child_and_round_is_kept_by_the_database(started, hanako):
    application = started.applications.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(
            round=started.round, household=started, number="X-1",
            child_name=application.child_name, date_of_birth=application.date_of_birth,
            age_class=0, resident=hanako)
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.create(round=started.round, family_code="X", resident=hanako,
                                 online_status=OnlineStatus.DRAFT)
    # Starting again returns the same application.
    assert online.online_application_start(round=started.round, actor=hanako.user) == started


# --- changing, withdrawing, closing ------------------------------------------------------------

def test_a_change_after_sending_makes_a_draft_and_withdrawing_removes_it(
        client, open_round, hanako):
    household = fill_in(open_round, hanako.user)
    assert household.online_status == OnlineStatus.SUBMITTED
    client.force_login(hanako.user)
    application = household.applications.get()
    response = client.post(mine(open_round, f"children/{application.pk}/wishes/"),
                           wishes_post(nursery("N3")))
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.DRAFT and household.submitted_at is None
    assert client.get(mine(open_round, "withdraw/")).status_code == 200
    response = client.post(mine(open_round, "withdraw/"))
    assert response["Location"] == reverse("childcare:my_applications")
    assert not Household.objects.filter(pk=household.pk).exists()
    assert not Application.objects.filter(pk=application.pk).exists()
    assert AuditEvent.objects.filter(action="childcare.online_application.withdraw",
                                     target_id=str(household.pk)).exists()


def test_a_closed_round_is_refused_and_read_only(client, open_round, hanako, taro):
    household = fill_in(open_round, hanako.user)
    application = household.applications.get()
    close(open_round)
    before = state()
    client.force_login(hanako.user)
    assert open_round.name not in client.get(reverse("childcare:apply")).content.decode()
    page = client.get(mine(open_round))
    assert page.status_code == 200  # still readable
    assert reverse("childcare:my_child_new", args=[open_round.pk]) not in page.content.decode()
    for url, data in ((mine(open_round, "children/new/"), child_post(child_name="港 三郎")),
                      (mine(open_round, f"children/{application.pk}/"), child_post()),
                      (mine(open_round, f"children/{application.pk}/wishes/"),
                       wishes_post(nursery("N3"))),
                      (mine(open_round, f"children/{application.pk}/remove/"), {}),
                      (mine(open_round, "family/"), family_post()),
                      (mine(open_round, "check/"), {}),
                      (mine(open_round, "withdraw/"), {})):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"] == mine(open_round), url
    assert state() == before
    with pytest.raises(ValidationFailed):
        online.online_application_withdraw(household=household, actor=hanako.user)
    with pytest.raises(ValidationFailed):
        online.online_application_start(round=open_round, actor=taro.user)
    client.force_login(taro.user)
    assert client.post(reverse("childcare:apply_start", args=[open_round.pk])).status_code \
        == 404
    assert state() == before


# --- who may reach an application --------------------------------------------------------------

def test_another_resident_gets_not_found_and_changes_nothing(client, open_round, hanako, taro):
    household = fill_in(open_round, hanako.user)
    application = household.applications.get()
    before = state()
    client.force_login(taro.user)
    urls = [mine(open_round), mine(open_round, "check/"), mine(open_round, "family/"),
            mine(open_round, "withdraw/"), mine(open_round, f"children/{application.pk}/"),
            mine(open_round, f"children/{application.pk}/wishes/")]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    assert client.post(mine(open_round, f"children/{application.pk}/remove/")).status_code \
        == 404
    # With his own application in the same round, her child is still not found there.
    fill_in(open_round, taro.user, children=[("麻布 太一", "アザブ タイチ", "2025-06-01",
                                             None, ("N1",))], submit=False)
    before = state()
    for url in (mine(open_round, f"children/{application.pk}/"),
                mine(open_round, f"children/{application.pk}/wishes/"),
                mine(open_round, f"children/{application.pk}/remove/")):
        assert client.post(url, child_post()).status_code == 404, url
    assert state() == before
    with pytest.raises(NotFoundError):
        online.online_wishes_save(application=application, nurseries=[nursery("N3")],
                                  actor=taro.user)
    assert "港 一郎" not in client.get(reverse("childcare:my_applications")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, open_round, hanako):
    household = fill_in(open_round, hanako.user)
    application = household.applications.get()
    login = reverse("account_login")
    for url in (reverse("childcare:apply"), reverse("childcare:apply_start",
                                                    args=[open_round.pk]),
                reverse("childcare:my_applications"), mine(open_round),
                mine(open_round, "children/new/"), mine(open_round, "family/"),
                mine(open_round, "check/"), mine(open_round, "withdraw/"),
                mine(open_round, f"children/{application.pk}/wishes/")):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302 and response["Location"].startswith(login), url


def test_a_resident_without_a_profile_is_asked_for_it(client, open_round, hanako):
    user = hanako.user
    hanako.delete()
    user.refresh_from_db()
    client.force_login(user)
    page = client.get(reverse("childcare:apply"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert reverse("core:my_profile_edit") in page.content.decode()
    with pytest.raises(PermissionDeniedError):
        online.online_application_start(round=open_round, actor=user)
    assert not Household.objects.exists()


# --- staff ---------------------------------------------------------------------------------------

def test_staff_read_is_scoped_and_audited_and_drafts_stay_private(
        client, open_round, hanako, taro, officer):
    sent = fill_in(open_round, hanako.user)
    draft = fill_in(open_round, taro.user, submit=False, children=[
        ("麻布 太一", "アザブ タイチ", "2025-06-01", None, ("N1",))])
    client.force_login(officer)
    page = client.get(reverse("childcare:round", args=[open_round.pk]))
    text = page.content.decode()
    application = sent.applications.get()
    assert reverse("childcare:application", args=[application.pk]) in text
    assert draft.applications.get().number not in text  # a draft is the resident's own
    page = client.get(reverse("childcare:application", args=[application.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(action="childcare.application.read",
                                     target_id=str(application.pk),
                                     actor_label=officer.email).count() == 1
    # A clerk of another branch office, able to read applications of her own: refused.
    group = Group.objects.create(name="test_branch_nursery_checker")
    group.permissions.add(*Permission.objects.filter(
        content_type__app_label="childcare",
        codename__in=["view_application", "verify_online_application"]))
    clerk = StaffFactory(roles=("counter_clerk",), branch_office="azabu")
    clerk.groups.add(group)
    client.force_login(clerk)
    before = state()
    assert client.get(reverse("childcare:application",
                              args=[application.pk])).status_code == 403
    assert client.post(reverse("childcare:online_verify",
                               args=[application.pk])).status_code == 403
    assert AuditEvent.objects.filter(action="childcare.application.read_denied",
                                     target_id=str(application.pk)).count() == 2
    with pytest.raises(PermissionDeniedError):
        online.online_application_verify(household=sent, actor=clerk)
    # A resident cannot check their own application.
    with pytest.raises(PermissionDeniedError):
        online.online_application_verify(household=sent, actor=hanako.user)
    assert state() == before


def test_staff_return_an_application_with_a_reason_and_the_resident_is_told(
        client, open_round, hanako, officer, django_capture_on_commit_callbacks):
    household = fill_in(open_round, hanako.user)
    application = household.applications.get()
    client.force_login(officer)
    url = reverse("childcare:online_return", args=[application.pk])
    before = state()
    response = client.post(url, {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "This field is required" in \
        response.content.decode()
    assert state() == before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "就労証明書が未提出です。"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.RETURNED
    event = AuditEvent.objects.get(action="childcare.online_application.return")
    assert event.purpose == "就労証明書が未提出です。" and event.actor_label == officer.email
    assert len(mail.outbox) == 1 and "就労証明書が未提出です。" in mail.outbox[0].body
    assert mail.outbox[0].to == [hanako.user.email]
    # Returned: not in the matching; the resident sees the reason and may send it again.
    assert instance_for_round(open_round).children == ()
    client.force_login(hanako.user)
    assert "就労証明書が未提出です。" in client.get(mine(open_round)).content.decode()
    online.online_application_submit(household=household, actor=hanako.user)
    household.refresh_from_db()
    assert household.online_status == OnlineStatus.SUBMITTED


def test_the_run_waits_for_the_close_and_for_every_check(open_round, hanako, taro, officer):
    sent = fill_in(open_round, hanako.user)
    fill_in(open_round, taro.user, submit=False, children=[
        ("麻布 太一", "アザブ タイチ", "2025-06-01", None, ("N1",))])
    with pytest.raises(ValidationFailed) as refused:
        runs.round_run(round=open_round, actor=officer)
    assert refused.value.code == "applications_open"
    close(open_round)
    with pytest.raises(ValidationFailed) as refused:
        runs.round_run(round=open_round, actor=officer)
    assert refused.value.code == "unverified"
    online.online_application_verify(household=sent, actor=officer)
    run = runs.round_run(round=open_round, actor=officer)
    # Only the checked application took part; the draft never sent did not.
    assert run.placements.count() == 1
    assert run.placements.get().application.household == sent
    with pytest.raises(ValidationFailed):  # matched: no more checks or returns
        online.online_application_return(household=sent, reason="x", actor=officer)


def test_the_import_keeps_online_applications_and_their_numbers(open_round, hanako, officer):
    household = fill_in(open_round, hanako.user)
    number = household.applications.get().number
    before = state()
    with pytest.raises(imports.ImportFailed) as failed:
        imports.applications_import(round=open_round, actor=officer, raw=applications_csv([
            application_row(number, "H1", "2026-05-10", ["N1"]),
            application_row("A002", household.family_code, "2026-05-10", ["N1"])]))
    assert [(error.row, error.column) for error in failed.value.errors] == [
        (2, "申込番号"), (3, "世帯番号")]
    assert state() == before
