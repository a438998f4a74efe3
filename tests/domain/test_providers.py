"""Who a provider may see: new patients, and dry needling under a current attestation."""

from datetime import date, timedelta

import pytest

from intake.domain.providers import attestation_current, attested_until, offers, takes_patient

TWO_YEARS = timedelta(days=730)


@pytest.mark.parametrize(
    ("accepting", "completed_visit", "takes"),
    [
        (True, False, True),  # open to everyone
        (True, True, True),
        (False, True, True),  # closed, but this patient has been seen before
        (False, False, False),  # closed to a new patient
    ],
)
def test_a_closed_provider_takes_only_patients_seen_before(accepting, completed_visit, takes):
    assert takes_patient(accepting, completed_visit) is takes


@pytest.mark.parametrize(
    ("attested_on", "today", "current"),
    [
        (None, date(2026, 12, 7), False),  # never attested
        (date(2026, 12, 7), date(2026, 12, 7), True),  # attested today
        (date(2025, 1, 1), date(2026, 12, 31), True),  # the last day it counts
        (date(2025, 1, 1), date(2027, 1, 1), False),  # 730 days on: expired
        (date(2020, 6, 1), date(2026, 12, 7), False),  # long expired
    ],
)
def test_an_attestation_counts_for_the_configured_time(attested_on, today, current):
    assert attestation_current(attested_on, today, TWO_YEARS) is current


def test_attested_until_is_the_first_day_it_no_longer_counts():
    assert attested_until(date(2025, 1, 1), TWO_YEARS) == date(2027, 1, 1)
    assert attested_until(None, TWO_YEARS) is None


@pytest.mark.parametrize(
    ("needling", "attested", "offered"),
    [(True, True, True), (True, False, False), (False, False, True), (False, True, True)],
)
def test_only_dry_needling_needs_a_current_attestation(needling, attested, offered):
    assert offers(needling, attested) is offered
