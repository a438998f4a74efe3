"""The rows bench/generate.py inserts with SQLAlchemy Core, one function per table."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from intake.domain.consent import ACKNOWLEDGEMENTS


@dataclass(frozen=True)
class Patient:
    """What each of the patient's appointments copies from their intake and consent."""

    id: int
    intake_id: int
    consent_id: int
    screening: dict
    needs_review: bool
    urgent: bool


# Related columns share a line, so each row reads as one short block.
# fmt: off
def user_row(answers: dict, signed_at: datetime, password_hash: str) -> dict:
    return {
        "email": answers["email"], "password_hash": password_hash, "role": "patient",
        "first_name": answers["legal_first_name"], "last_name": answers["legal_last_name"],
        "created_at": signed_at - timedelta(days=1),
    }


def intake_row(patient_id: int, answers: dict, result, signed_at: datetime) -> dict:
    return {
        "patient_id": patient_id, "version": 1, "answers": answers, "phone": answers["phone"],
        "legal_first_name": answers["legal_first_name"],
        "legal_last_name": answers["legal_last_name"],
        "born_on": date.fromisoformat(answers["born_on"]),
        "screening": result.to_dict(), "screening_level": result.highest_level,
        "created_at": signed_at - timedelta(hours=1),
    }


def consent_row(patient_id: int, answers: dict, signed_at: datetime, version) -> dict:
    return {
        "patient_id": patient_id, "version_id": version.id, "text_sha256": version.text_sha256,
        "typed_name": f"{answers['legal_first_name']} {answers['legal_last_name']}",
        "acknowledged": sorted(a.key for a in ACKNOWLEDGEMENTS), "signed_at": signed_at,
        "ip_address": "127.0.0.1", "user_agent": "bench/generate.py",
    }


def appointment_row(visit: tuple, status: str, patient: Patient, now: datetime, rng) -> dict:
    provider_id, location_id, kind, starts = visit
    created = min(starts - timedelta(days=rng.randint(1, 30)), now - timedelta(hours=1))
    length = timedelta(minutes=kind.duration_minutes)
    return {
        "patient_id": patient.id, "provider_id": provider_id, "location_id": location_id,
        "type_id": kind.id, "status": status, "revision": 1 if status == "requested" else 2,
        "starts_at": starts, "ends_at": starts + length,
        "blocks_until": starts + length + timedelta(minutes=kind.buffer_after_minutes),
        "screening_snapshot": patient.screening, "needs_review": patient.needs_review,
        "urgent": patient.urgent, "intake_id": patient.intake_id, "consent_id": patient.consent_id,
        "created_at": created,
        "updated_at": created if status == "requested" else min(starts, now - timedelta(hours=1)),
    }


def event_row(appointment_id: int, appointment: dict) -> dict:
    """One history line each: the request itself, or the last change of status."""
    status = appointment["status"]
    return {
        "appointment_id": appointment_id, "action": status, "at": appointment["updated_at"],
        "from_status": None if status == "requested" else "requested", "to_status": status,
        "actor_id": appointment["patient_id"] if status in ("requested", "cancelled") else None,
    }
# fmt: on
