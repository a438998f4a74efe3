"""What a patient still has to do before a request can be stored, and what it carries."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..models import AppointmentType, User
from .consents import valid_consent_id
from .intakes import current_screening


class StepName(StrEnum):
    """In the order a patient meets them."""

    INTAKE = "intake"  # the health questionnaire
    SCREENING = "screening"  # answers that rule out online booking: only a call will do
    CONSENT = "consent"  # the signed consent to dry needling


@dataclass(frozen=True)
class Step:
    name: StepName
    message: str


@dataclass(frozen=True)
class Snapshot:
    """What the request records about the patient at the moment of asking."""

    intake_id: int | None
    consent_id: int | None
    screening: dict
    needs_review: bool
    urgent: bool


def assess(
    patient: User, kind: AppointmentType, now: datetime, consent_max_age: timedelta
) -> tuple[Step | None, Snapshot]:
    """The first missing step (None when ready) and what a request would record, from one
    read of the patient's intake and consents."""
    intake_id, screening = current_screening(patient.id) or (None, None)
    consent_id = valid_consent_id(patient.id, now, consent_max_age)
    found = Snapshot(
        intake_id=intake_id,
        consent_id=consent_id,
        screening=screening.to_dict() if screening else {},
        needs_review=bool(screening and screening.needs_therapist_review),
        urgent=bool(screening and screening.urgent),
    )
    return _missing_step(screening, consent_id is not None, kind), found


def _missing_step(screening, has_consent: bool, kind: AppointmentType) -> Step | None:
    if screening is None:
        return Step(StepName.INTAKE, "Please fill in your health questionnaire first.")
    if kind.involves_dry_needling:
        if screening.blocks_online_dry_needling:
            return Step(
                StepName.SCREENING,
                "From your answers, please call us to talk about dry needling before booking it.",
            )
        if not has_consent:
            return Step(
                StepName.CONSENT, "Please read and sign the consent for dry needling first."
            )
    return None
