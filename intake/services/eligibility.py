"""Whether a provider may be booked: for dry needling only under a current attestation of
competence, and by a new patient only while they take new patients (domain/providers.py)."""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from ..domain.providers import attestation_current, offers, takes_patient
from ..extensions import db
from ..models import Appointment, AppointmentStatus, AppointmentType, Provider
from ..settings import ClinicSettings
from .errors import NotAttested, NotTakingNewPatients


def clinic_day(now: datetime, settings: ClinicSettings) -> date:
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def needling_attested(provider: Provider, settings: ClinicSettings, now: datetime) -> bool:
    return attestation_current(
        provider.attested_on, clinic_day(now, settings), settings.attestation_valid_for
    )


def offered_types(
    provider: Provider, types: Iterable[AppointmentType], settings: ClinicSettings, now: datetime
) -> list[AppointmentType]:
    """The types this provider may be booked for today, in the order given."""
    attested = needling_attested(provider, settings, now)
    return [kind for kind in types if offers(kind.involves_dry_needling, attested)]


def require_offered(
    provider: Provider, kind: AppointmentType, settings: ClinicSettings, now: datetime
) -> None:
    """NotAttested, in words, for dry needling with a provider not currently attested."""
    if not offers(kind.involves_dry_needling, needling_attested(provider, settings, now)):
        raise NotAttested(
            f"{provider.display_name} is not offering dry needling at the moment: their "
            "attestation of competence is not current. Please choose another type of visit "
            "or another provider."
        )


def has_completed_visit(patient_id: int, provider_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Appointment.patient_id == patient_id,
                    Appointment.provider_id == provider_id,
                    Appointment.status == AppointmentStatus.COMPLETED,
                )
            )
        )
    )


def takes(provider: Provider, patient_id: int | None) -> bool:
    """Whether the provider sees this patient (None: someone not signed in as a patient)."""
    if provider.accepting_new_patients:
        return True
    return patient_id is not None and takes_patient(
        provider.accepting_new_patients, has_completed_visit(patient_id, provider.id)
    )


def require_takes(provider: Provider, patient_id: int) -> None:
    if not takes(provider, patient_id):
        raise NotTakingNewPatients(not_taking_message(provider.display_name))


def not_taking_message(name: str) -> str:
    return (
        f"{name} is not taking new patients right now. Patients who have already had a "
        f"visit with {name} can still book."
    )
