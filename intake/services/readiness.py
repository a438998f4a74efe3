"""What a patient still has to do before a request can be stored, and what it carries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ..models import AppointmentType, User
from .consents import valid_consent
from .intakes import current_intake, screening_of


@dataclass(frozen=True)
class Step:
    name: str  # intake | screening | consent
    message: str
    endpoint: str | None  # where to send the patient; None when only a call will do


@dataclass(frozen=True)
class Snapshot:
    """What the request records about the patient at the moment of asking."""

    intake_id: int | None
    consent_id: int | None
    screening: dict
    needs_review: bool
    urgent: bool


def _max_age() -> timedelta:
    return timedelta(days=current_app.config["INTAKE_CONSENT_MAX_AGE_DAYS"])


def assess(patient: User, kind: AppointmentType, now: datetime) -> tuple[Step | None, Snapshot]:
    """The first missing step (None when ready) and what a request would record, from one
    read of the patient's intake and consents."""
    intake = current_intake(patient.id)
    consent = valid_consent(patient.id, now, _max_age())
    screening = screening_of(intake) if intake else None
    found = Snapshot(
        intake_id=intake.id if intake else None,
        consent_id=consent.id if consent else None,
        screening=screening.to_dict() if screening else {},
        needs_review=bool(screening and screening.needs_therapist_review),
        urgent=bool(screening and screening.urgent),
    )
    return _missing_step(screening, consent is not None, kind), found


def _missing_step(screening, has_consent: bool, kind: AppointmentType) -> Step | None:
    """In the order a patient meets the steps."""
    if screening is None:
        return Step("intake", "Please fill in your health questionnaire first.", "intake.edit")
    if kind.involves_dry_needling:
        if screening.blocks_online_dry_needling:
            return Step(
                "screening",
                "From your answers, please call us to talk about dry needling before booking it.",
                None,
            )
        if not has_consent:
            return Step(
                "consent",
                "Please read and sign the consent for dry needling first.",
                "consent.sign",
            )
    return None


def booking_readiness(patient: User, kind: AppointmentType, now: datetime) -> Step | None:
    """The first missing step, in the order a patient meets them; None when ready."""
    return assess(patient, kind, now)[0]
