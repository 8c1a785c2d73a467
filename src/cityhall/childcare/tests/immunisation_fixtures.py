"""Fixtures of the immunisation records tests (取組23): the demo guardian 芝浦 美香 (港南4丁目,
branch office shibaura-konan), her infant, and the health centre's immunisation officer."""

import datetime

import pytest

from cityhall.childcare.services import immunisation

TODAY = datetime.date(2026, 11, 27)
INFANT_AGE_DAYS = 160


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def mika(resident_persona):
    """芝浦 美香, a guardian in 港南4丁目 (branch office: shibaura-konan)."""
    return resident_persona("mika")


@pytest.fixture
def yobou(staff_persona):
    """予防 接種子, immunisation officer of みなと保健所 (every branch office)."""
    return staff_persona("yobou_officer")


def add_infant(guardian, *, today=TODAY, doses=True):
    """An infant 160 days old on `today`, with two doses of the infant vaccines at 62 and 90
    days: the third 5種混合 dose is overdue (still free), the third 肺炎球菌 dose is due."""
    born = today - days(INFANT_AGE_DAYS)
    child = immunisation.child_add(actor=guardian.user, name="芝浦 ひなた",
                                   name_kana="シバウラ ヒナタ", sex="F", date_of_birth=born,
                                   today=today)
    if doses:
        for after in (62, 90):
            for vaccine, product in (("hepb", ""), ("rota", "rota1"), ("dpt_ipv_hib", ""),
                                     ("pcv", "pcv20")):
                immunisation.dose_add(child=child, actor=guardian.user, vaccine=vaccine,
                                      product=product, given_on=born + days(after),
                                      today=today)
    return child


@pytest.fixture
def infant(mika):
    return add_infant(mika)
