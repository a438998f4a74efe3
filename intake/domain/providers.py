"""Who a provider may see: new patients or only their own, and dry needling only while their
competence attestation is current. Plain values in, answers out; `today` is passed in."""

from datetime import date, timedelta


def takes_patient(accepting_new_patients: bool, has_completed_visit: bool) -> bool:
    """A provider not taking new patients still sees those who have had a visit with them."""
    return accepting_new_patients or has_completed_visit


def attested_until(attested_on: date | None, valid_for: timedelta) -> date | None:
    """The first day an attestation of competence no longer counts; None when there is none."""
    return None if attested_on is None else attested_on + valid_for


def attestation_current(attested_on: date | None, today: date, valid_for: timedelta) -> bool:
    """An admin attested the provider's dry-needling competence less than `valid_for` ago.
    (An attestation is recorded on the day it is made, so it is never dated after `today`.)"""
    return still_attested(attested_until(attested_on, valid_for), today)


def still_attested(until: date | None, today: date) -> bool:
    """Whether an attestation counting until `until` (exclusive) counts today."""
    return until is not None and today < until


def offers(involves_dry_needling: bool, attested: bool) -> bool:
    """Whether a provider may be booked for a type: dry needling needs a current attestation,
    every other type does not."""
    return attested or not involves_dry_needling
