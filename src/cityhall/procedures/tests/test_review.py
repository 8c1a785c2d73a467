"""The staff review queue: department scoping, audited reads, decisions through the pages,
two-person approval, and who must not see or change an application."""

import pytest
from django.urls import reverse

from cityhall.core.errors import ConflictError, PermissionDeniedError
from cityhall.core.models import AuditEvent
from cityhall.procedures import services
from cityhall.procedures.models import Procedure
from cityhall.procedures.permissions import access_application, applications_reviewable_by
from cityhall.procedures.tests.test_applications import GOOD

pytestmark = pytest.mark.django_db


def send(resident):
    procedure = Procedure.objects.get(code="dog-registration")
    application = services.application_start(procedure=procedure, applicant=resident.user,
                                             actor=resident.user)
    services.application_save_draft(application=application,
                                    data={**GOOD, "rabies_vaccination": True},
                                    actor=resident.user)
    return services.application_submit(application=application, actor=resident.user)


@pytest.fixture
def other_department_reviewer(minato):
    from cityhall.core.tests.factories import StaffFactory

    return StaffFactory(department="kokuho-nenkin", roles=("application_reviewer",),
                        branch_office="main")


def test_the_queue_shows_submitted_applications_of_the_reviewers_department(
        client, minato, hanako, reviewer, other_department_reviewer):
    application = send(hanako)
    services.application_start(procedure=application.procedure, applicant=hanako.user,
                               actor=hanako.user)  # a new draft: never in the queue
    client.force_login(reviewer)
    response = client.get(reverse("procedures:review_queue"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [application]
    # A reviewer of another department does not see it.
    assert list(applications_reviewable_by(other_department_reviewer)) == []
    client.force_login(other_department_reviewer)
    assert list(client.get(reverse("procedures:review_queue")).context["page"].object_list) \
        == []
    assert client.get(reverse("procedures:review_detail",
                              args=[application.pk])).status_code == 403
    assert AuditEvent.objects.filter(action="application.read_denied",
                                     actor_id=other_department_reviewer.pk).exists()


def test_opening_an_application_is_audited(client, minato, hanako, reviewer):
    application = send(hanako)
    client.force_login(reviewer)
    page = client.get(reverse("procedures:review_detail", args=[application.pk]),
                      HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "ポチ" in page.content.decode()
    event = AuditEvent.objects.get(action="application.read")
    assert event.actor_id == reviewer.pk and event.target_id == str(application.pk)


@pytest.mark.parametrize("persona", ["shiba_clerk", "auditor", "records_supervisor"])
def test_staff_outside_the_review_role_or_department_are_refused(client, minato, hanako,
                                                                staff_persona, persona):
    application = send(hanako)
    staff = staff_persona(persona)
    client.force_login(staff)
    assert client.get(reverse("procedures:review_detail",
                              args=[application.pk])).status_code == 403
    response = client.post(reverse("procedures:review_detail", args=[application.pk]),
                           {"action": "rejected"})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == "submitted"
    assert not AuditEvent.objects.filter(action="application.read").exists()


def test_residents_and_visitors_never_reach_the_queue(client, minato, hanako, taro):
    application = send(hanako)
    client.force_login(taro.user)
    assert client.get(reverse("procedures:review_queue")).status_code == 403
    assert client.get(reverse("procedures:review_detail",
                              args=[application.pk])).status_code == 403
    client.logout()
    response = client.get(reverse("procedures:review_queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_drafts_are_not_readable_by_staff(minato, hanako, reviewer):
    procedure = Procedure.objects.get(code="dog-registration")
    draft = services.application_start(procedure=procedure, applicant=hanako.user,
                                       actor=hanako.user)
    with pytest.raises(PermissionDeniedError):
        access_application(reviewer, draft.pk)


def test_a_reviewer_takes_reviews_and_returns_an_application_through_the_page(
        client, minato, hanako, reviewer):
    application = send(hanako)
    url = reverse("procedures:review_detail", args=[application.pk])
    client.force_login(reviewer)
    assert client.post(url, {"action": "assign_me"}).status_code == 302
    assert client.post(url, {"action": "in_review"}).status_code == 302
    missing = client.post(url, {"action": "returned", "comment": ""},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400
    assert "Tell the applicant what to correct." in missing.content.decode()
    client.post(url, {"action": "comment", "comment": "写真を確認中", "is_internal": "on"})
    client.post(url, {"action": "returned", "comment": "毛色を確認してください。"})
    application.refresh_from_db()
    assert application.status == "returned" and application.assignee == reviewer
    # The applicant sees the request to correct, but not the internal note.
    client.force_login(hanako.user)
    page = client.get(reverse("procedures:application_edit", args=[application.pk]))
    text = page.content.decode()
    assert "毛色を確認してください。" in text and "写真を確認中" not in text
    detail = client.get(reverse("procedures:application_detail", args=[application.pk]))
    assert "写真を確認中" not in detail.content.decode()


def test_an_impossible_decision_is_refused_and_changes_nothing(client, minato, hanako,
                                                                reviewer):
    application = send(hanako)
    client.force_login(reviewer)
    response = client.post(reverse("procedures:review_detail", args=[application.pk]),
                           {"action": "completed"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "cannot become" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"
    bad = client.post(reverse("procedures:review_detail", args=[application.pk]),
                      {"action": "launch"})
    assert bad.status_code == 400


def test_two_person_approval(minato, hanako, reviewer, second_reviewer):
    Procedure.objects.filter(code="dog-registration").update(requires_two_approvals=True)
    application = send(hanako)
    services.application_transition(application=application, status_to="in_review",
                                    actor=reviewer)
    services.application_transition(application=application, status_to="approved",
                                    actor=reviewer)
    application.refresh_from_db()
    assert application.status == "in_review" and application.first_approver == reviewer
    with pytest.raises(ConflictError):
        services.application_transition(application=application, status_to="approved",
                                        actor=reviewer)
    services.application_transition(application=application, status_to="approved",
                                    actor=second_reviewer)
    application.refresh_from_db()
    assert application.status == "approved"


def test_one_approval_is_enough_by_default(minato, hanako, reviewer):
    application = send(hanako)
    services.application_transition(application=application, status_to="in_review",
                                    actor=reviewer)
    services.application_transition(application=application, status_to="approved",
                                    actor=reviewer)
    application.refresh_from_db()
    assert application.status == "approved"
