"""Fixtures of the feedback tests: two 広聴担当 officers, a clerk and a manager of the childcare
division (保育課), a clerk of another department, tasks run right after the commit."""

import pytest

from .factories import OpinionFactory, feedback_staff


@pytest.fixture(autouse=True)
def _commits(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}


@pytest.fixture
def officer(minato):
    return feedback_staff(roles=("feedback_officer",), department="planning",
                          email="kouchou1@test.cityhall.example")


@pytest.fixture
def officer2(minato):
    return feedback_staff(roles=("feedback_officer",), department="planning",
                          email="kouchou2@test.cityhall.example")


@pytest.fixture
def hoiku_clerk(minato):
    return feedback_staff(roles=("counter_clerk",), department="hoiku",
                          email="hoiku.clerk@test.cityhall.example")


@pytest.fixture
def hoiku_manager(minato):
    return feedback_staff(roles=("branch_manager",), department="hoiku",
                          email="hoiku.manager@test.cityhall.example")


@pytest.fixture
def other_clerk(minato):
    """A clerk of the environment department: not the department the opinions go to."""
    return feedback_staff(roles=("counter_clerk",), department="environment",
                          email="env.clerk@test.cityhall.example")


@pytest.fixture
def opinion(minato):
    return OpinionFactory()


@pytest.fixture
def hoiku():
    from cityhall.core.models import Department

    return Department.objects.get(code="hoiku")


@pytest.fixture
def routed(opinion, officer, hoiku):
    from cityhall.feedback import services

    return services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
