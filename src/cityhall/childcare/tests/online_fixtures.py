"""Fixtures of the online application tests (取組7): the April 2027 round of
`admission_fixtures` with its seats imported and its online window open, and helpers that fill
in an application through the services as a resident would."""

import datetime

import pytest
from django.utils import timezone

from cityhall.childcare.models import Nursery
from cityhall.childcare.services import imports, online

from .admission_fixtures import STANDARD_CAPACITIES, capacities_csv


@pytest.fixture
def open_round(admission_round, officer):
    """N1: 0歳 3, 1歳 2, 2歳 1, 3–5歳 2 shared; N2: 0歳 1, 1歳 0, 2–5歳 2,1,1,1; N3: 0歳 2,
    1歳 2. Online applications open from yesterday for a week."""
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    now = timezone.now()
    admission_round.applications_open_from = now - datetime.timedelta(days=1)
    admission_round.applications_close_at = now + datetime.timedelta(days=7)
    admission_round.save()
    return admission_round


def close(round_) -> None:
    """Move the window into the past: the round no longer takes online applications."""
    now = timezone.now()
    round_.applications_open_from = now - datetime.timedelta(days=10)
    round_.applications_close_at = now - datetime.timedelta(minutes=1)
    round_.save()


def nursery(code) -> Nursery:
    return Nursery.objects.get(code=code)


def fill_in(round_, user, children=(("港 一郎", "ミナト イチロウ", "2026-05-10", None,
                                    ("N1", "N3")),),
            parents=("full", "part"), adjustments=("sibling",), rule="independent",
            single=False, tax=100_000, submit=True):
    """A complete application through the services: children as (name, kana, born, current
    code, wish codes)."""
    household = online.online_application_start(round=round_, actor=user)
    for name, kana, born, current, wishes in children:
        application = online.online_child_save(
            household=household, child_name=name, child_name_kana=kana,
            date_of_birth=datetime.date.fromisoformat(born),
            current_nursery=nursery(current) if current else None, actor=user)
        online.online_wishes_save(application=application,
                                  nurseries=[nursery(code) for code in wishes], actor=user)
    online.online_family_save(
        household=household, parent1=parents[0], parent2=parents[1],
        adjustments=list(adjustments), sibling_rule=rule, single_parent=single,
        public_assistance=False, disability=False, sibling_enrolled=False, resident_tax=tax,
        actor=user)
    if submit:
        online.online_application_submit(household=household, actor=user)
    household.refresh_from_db()
    return household
