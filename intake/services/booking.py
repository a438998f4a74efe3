"""Requesting, cancelling and moving appointments; free slots from the availability engine."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import begin_write
from ..extensions import db
from ..models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentStatus,
    Provider,
    User,
    utcnow,
)
from ..settings import current_settings  # TODO lead: settings come in as an argument
from . import notifications
from .free_times import (
    BookingError,
    SlotChoice,
    SlotTaken,
    check_free,
    next_free,
    provider_by_slug,
    require_zone,
    resolve_choice,
)
from .history import appointment_history
from .readiness import Step, assess


class NotReady(BookingError):
    """A step before booking is missing (intake, screening, consent)."""

    def __init__(self, step: Step):
        super().__init__(step.message)
        self.step = step


def patient_appointments(patient_id: int) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient_id)
            .options(*_appointment_details())
            .order_by(Appointment.starts_at.desc())
        )
    )


def patient_appointment(patient_id: int, appointment_id: int) -> Appointment | None:
    """The patient's own appointment; someone else's reads as missing."""
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id, Appointment.patient_id == patient_id)
        .options(*_appointment_details(), selectinload(Appointment.events))
    ).first()


def _appointment_details():
    return (
        selectinload(Appointment.provider).selectinload(Provider.user),
        selectinload(Appointment.location),
        selectinload(Appointment.type),
        selectinload(Appointment.patient),
    )


# --- writing --------------------------------------------------------------------------------


def request_appointment(
    patient: User,
    provider_slug: str,
    location_id,
    type_id,
    starts_at: datetime,
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Store a request for a free slot; SlotTaken when someone was quicker."""
    now = now or utcnow()
    require_zone(starts_at)
    found = provider_by_slug(provider_slug)
    if found is None:
        raise BookingError("We could not find that provider.")
    # Time off and hours of this provider cannot change while we check and write.
    begin_write(db.session, found.id)
    patient = db.session.get(User, patient.id)
    provider = provider_by_slug(provider_slug)
    if provider is None:
        db.session.rollback()
        raise BookingError("We could not find that provider.")
    choice = resolve_choice(provider, location_id, type_id)
    step, readiness = assess(patient, choice.type, now)
    if step is not None:
        db.session.rollback()
        raise NotReady(step)
    if (same := _own_request(patient, provider, starts_at)) is not None:
        db.session.rollback()
        return same  # a second tab or a double click: the request already exists
    _or_roll_back(check_free, choice, starts_at, now)
    appointment = Appointment(
        patient_id=patient.id,
        provider_id=provider.id,
        location_id=choice.location.id,
        type_id=choice.type.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=choice.type.duration_minutes),
        blocks_until=starts_at
        + timedelta(minutes=choice.type.duration_minutes + choice.type.buffer_after_minutes),
        status=AppointmentStatus.REQUESTED,
        patient_note=note.strip()[:1000],
        screening_snapshot=readiness.screening,
        needs_review=readiness.needs_review,
        urgent=readiness.urgent,
        intake_id=readiness.intake_id,
        consent_id=readiness.consent_id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _after_conflict(patient.id, provider_slug, location_id, type_id, starts_at, now)
    appointment_history(appointment, patient, "requested", None, AppointmentStatus.REQUESTED, now)
    settings = current_settings()  # TODO lead: take settings as an argument
    notifications.notify(appointment, "requested", settings=settings, stamped_at=now)
    db.session.commit()
    return appointment


def _own_request(patient: User, provider: Provider, starts_at: datetime) -> Appointment | None:
    return db.session.scalars(
        select(Appointment).where(
            Appointment.patient_id == patient.id,
            Appointment.provider_id == provider.id,
            Appointment.starts_at == starts_at,
            Appointment.status.in_(HOLDING_STATUSES),
        )
    ).first()


def _after_conflict(patient_id, provider_slug, location_id, type_id, starts_at, now):
    """The database refused an overlap: ours from another tab, or somebody else's."""
    provider = provider_by_slug(provider_slug)
    if same := _own_request(db.session.get(User, patient_id), provider, starts_at):
        return same
    choice = resolve_choice(provider, location_id, type_id)
    raise SlotTaken("That time was just taken by someone else.", next_free(choice, starts_at, now))


class TooLate(BookingError):
    """Within the cut-off the clinic wants a phone call, not a click."""


class ChangedMeanwhile(BookingError):
    """The clinic changed the appointment after the patient's page was loaded."""

    def __init__(self):
        super().__init__("This appointment changed meanwhile; here it is as it stands now.")


def _or_roll_back(check, *args, **kwargs):
    """Run a check inside a write transaction; a refusal ends the transaction (and its lock)."""
    try:
        return check(*args, **kwargs)
    except BaseException:
        db.session.rollback()
        raise


def _open_for_change(
    patient: User, appointment_id: int, seen_revision: int, now: datetime
) -> Appointment:
    """The patient's appointment as their page showed it, in a write transaction holding its
    provider's lock. LookupError when not theirs, ChangedMeanwhile when changed since."""
    provider_id = db.session.scalar(
        select(Appointment.provider_id).where(
            Appointment.id == appointment_id, Appointment.patient_id == patient.id
        )
    )
    if provider_id is None:
        raise LookupError(appointment_id)
    begin_write(db.session, provider_id)
    return _or_roll_back(_own_for_change, patient, appointment_id, seen_revision, now)


def _own_for_change(
    patient: User, appointment_id: int, seen_revision: int, now: datetime
) -> Appointment:
    appointment = patient_appointment(patient.id, appointment_id)
    if appointment is None:
        raise LookupError(appointment_id)
    if appointment.revision != seen_revision:
        raise ChangedMeanwhile()
    if not appointment.holds_time:
        raise BookingError(f"This appointment is already {appointment.status.replace('_', ' ')}.")
    cutoff = timedelta(hours=current_app.config["INTAKE_CANCEL_CUTOFF_HOURS"])
    if appointment.starts_at - now < cutoff:
        raise TooLate("It is too close to your appointment to change it online. Please call us.")
    return appointment


def cancel_by_patient(
    patient: User,
    appointment_id: int,
    seen_revision: int,
    reason: str,
    now: datetime | None = None,
) -> Appointment:
    """LookupError when it is not theirs; TooLate inside the cut-off; ChangedMeanwhile when
    the clinic changed it after the page showing `seen_revision` was loaded."""
    now = now or utcnow()
    appointment = _open_for_change(patient, appointment_id, seen_revision, now)
    before = appointment.status
    appointment.status = AppointmentStatus.CANCELLED
    appointment.updated_at = now
    _flush_versioned()
    appointment_history(
        appointment, patient, "cancelled", before, appointment.status, now, reason.strip()
    )
    settings = current_settings()  # TODO lead: take settings as an argument
    notifications.notify(
        appointment, "cancelled", reason.strip(), settings=settings, stamped_at=now
    )
    db.session.commit()
    return appointment


def _flush_versioned() -> None:
    """The UPDATE says WHERE revision = the one read: a change committed since (a staff
    confirm on PostgreSQL, between our read and our write) makes it match no row."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ChangedMeanwhile() from None


def move_by_patient(
    patient: User,
    appointment_id: int,
    seen_revision: int,
    new_start: datetime,
    now: datetime | None = None,
) -> Appointment:
    """To another free slot of the same provider, place and type; it needs confirming again."""
    now = now or utcnow()
    require_zone(new_start)
    appointment = _open_for_change(patient, appointment_id, seen_revision, now)
    if new_start == appointment.starts_at:  # nothing would change: no history, no email
        db.session.rollback()
        raise BookingError("That is the time it already has. Please choose another.")
    choice = SlotChoice(appointment.provider, appointment.location, appointment.type)
    _or_roll_back(check_free, choice, new_start, now, ignore=appointment.id)
    before_status, before_start = appointment.status, appointment.starts_at
    length = appointment.ends_at - appointment.starts_at
    hold = appointment.blocks_until - appointment.starts_at
    appointment.starts_at, appointment.ends_at = new_start, new_start + length
    appointment.blocks_until = new_start + hold
    appointment.reminder_sent_at = None  # the new time deserves its own reminder
    appointment.status = AppointmentStatus.REQUESTED
    appointment.updated_at = now
    try:
        _flush_versioned()
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(
            "That time was just taken by someone else.", next_free(choice, new_start, now)
        ) from None
    appointment_history(
        appointment,
        patient,
        "moved",
        before_status,
        appointment.status,
        now,
        f"from {before_start.isoformat()} to {new_start.isoformat()}",
    )
    settings = current_settings()  # TODO lead: take settings as an argument
    notifications.notify(appointment, "moved", settings=settings, stamped_at=now)
    db.session.commit()
    return appointment
