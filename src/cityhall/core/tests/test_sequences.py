"""Gap-free yearly numbering (`core.services.sequence_next`), shared by application references
and payment receipts."""

import pytest
from django.db import transaction

from cityhall.core.models import YearCounter
from cityhall.core.services import sequence_next

pytestmark = pytest.mark.django_db


def test_numbers_follow_on_per_sequence_and_year():
    with transaction.atomic():
        taken = [sequence_next(sequence="test.a", year=2026) for _ in range(3)]
        other = sequence_next(sequence="test.b", year=2026)
        next_year = sequence_next(sequence="test.a", year=2027)
    assert taken == [1, 2, 3]
    assert (other, next_year) == (1, 1)
    assert YearCounter.objects.get(sequence="test.a", year=2026).last == 3


def test_a_number_taken_in_a_rolled_back_transaction_is_given_again():
    with transaction.atomic():
        assert sequence_next(sequence="test.c", year=2026) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(sequence="test.c", year=2026) == 2
        raise RuntimeError("the write that used the number failed")
    with transaction.atomic():
        assert sequence_next(sequence="test.c", year=2026) == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses_rather_than_risk_a_gap():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        sequence_next(sequence="test.d", year=2026)
    assert not YearCounter.objects.filter(sequence="test.d").exists()
