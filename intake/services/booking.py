"""A patient's own appointments: reading them, requesting one, cancelling and moving it."""

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached, selectinload

from ..database import begin_write, loaded_kept
from ..extensions import db
from ..models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Provider,
    User,
)
from ..settings import ClinicSettings
from . import changes, eligibility
from .changes import Change
from .errors import BookingError, NotReady, SlotTaken, TooLate
from .free_times import SlotChoice, check_free, require_zone, rules_for, taken
from .notifications import Visit
from .readiness import assess


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


def decline_reasons(appointment_ids: list[int]) -> dict[int, str]:
    """Why the clinic declined each of these requests, as the patient's email said it: the
    history line of the decline (one query, however many)."""
    if not appointment_ids:
        return {}
    rows = db.session.execute(
        select(AppointmentEvent.appointment_id, AppointmentEvent.detail)
        .where(
            AppointmentEvent.appointment_id.in_(appointment_ids),
            AppointmentEvent.action == "declined",
        )
        .order_by(AppointmentEvent.id)
    )
    return {appointment_id: detail for appointment_id, detail in rows}  # the latest wins


def _appointment_details():
    return (
        selectinload(Appointment.provider).selectinload(Provider.user),
        selectinload(Appointment.location),
        selectinload(Appointment.type),
        selectinload(Appointment.patient),
    )


# --- writing --------------------------------------------------------------------------------


def require_bookable(
    patient: User, choice: SlotChoice, *, settings: ClinicSettings, now: datetime
) -> None:
    """NotTakingNewPatients for a new patient of a closed provider; NotAttested for dry
    needling with a provider whose attestation of competence is not current."""
    eligibility.require_takes(choice.provider, patient.id)
    eligibility.require_offered(choice.provider, choice.type, settings, now)


def request_appointment(
    patient: User,
    choice: SlotChoice,
    starts_at: datetime,
    note: str = "",
    *,
    settings: ClinicSettings,
    now: datetime,
    also: Callable[[Appointment], None] | None = None,
) -> Appointment:
    """Store a request for a free slot of the choice the view resolved. NotReady when a step
    is missing, SlotTaken when someone was quicker; a second tab's request is returned.
    Refused first when the provider may not be booked by this patient or for this type.

    Everything but the free-time check is read before the write lock and not read again:
    the readiness read here is what the request records (the staff queue shows the consent
    as it stands later), and the provider, place and type are as the view loaded them.
    `also` writes more with the new request, in its commit (a waitlist claim)."""
    require_zone(starts_at)
    require_bookable(patient, choice, settings=settings, now=now)
    rules = rules_for(choice.type, settings)
    step, readiness = assess(patient, choice.type, now, settings.consent_max_age)
    if step is not None:
        raise NotReady(step)
    # Time off, hours and bookings of this provider cannot change while we check and write.
    begin_write(db.session, choice.provider.id, keep_loaded=True)
    try:
        try:
            check_free(choice, starts_at, now, rules)
        except SlotTaken:
            if (same := _own_request(patient.id, choice.provider.id, starts_at)) is None:
                raise
            db.session.rollback()
            return same  # a second tab or a double click: the request already exists
        appointment = _insert_request(
            patient_id=patient.id,
            provider_id=choice.provider.id,
            location_id=choice.location.id,
            type_id=choice.type.id,
            status=AppointmentStatus.REQUESTED,
            patient_note=note.strip()[:1000],
            screening_snapshot=readiness.screening,
            needs_review=readiness.needs_review,
            urgent=readiness.urgent,
            intake_id=readiness.intake_id,
            consent_id=readiness.consent_id,
            created_at=now,
            updated_at=now,
            **changes.times_at(starts_at, choice.type),
        )
        if also is not None:
            also(appointment)
    except IntegrityError:  # the database's no-overlap rule: ours from another tab, or not
        db.session.rollback()
        if same := _own_request(patient.id, choice.provider.id, starts_at):
            return same
        raise taken(choice, starts_at, now, rules) from None
    except BaseException:
        db.session.rollback()
        raise
    requested = Change("requested", AppointmentStatus.REQUESTED, notify="requested")
    # The emails name the provider, place and type the request was checked against.
    visit = Visit(appointment, patient, choice.provider, choice.location, choice.type)
    with loaded_kept(db.session):  # what the caller reads next is what was just written
        return changes.record(
            appointment, requested, patient, None, settings=settings, now=now, visit=visit
        )


_APPOINTMENTS = Appointment.__table__
# Built once: a statement object kept computes its cache key once, not at every execution.
_INSERT_REQUEST = insert(_APPOINTMENTS).returning(_APPOINTMENTS.c.id)
# What a new request holds in the columns it does not set: the model's own defaults (the
# callable ones, times, are always given).
_NEW_REQUEST = {
    column.key: column.default.arg
    if column.default is not None and column.default.is_scalar
    else None
    for column in _APPOINTMENTS.c
    if not column.primary_key
}


def _insert_request(**values) -> Appointment:
    """The new request written by one plain INSERT, then held by the session as though read
    back: the unit of work's flush of one row cost more than the INSERT itself."""
    row = _NEW_REQUEST | values
    row["id"] = db.session.execute(_INSERT_REQUEST, row).scalar_one()
    appointment = Appointment(**row)
    make_transient_to_detached(appointment)  # every column set: nothing left to load
    db.session.add(appointment)
    return appointment


def _own_request(patient_id: int, provider_id: int, starts_at: datetime) -> Appointment | None:
    return db.session.scalars(
        select(Appointment).where(
            Appointment.patient_id == patient_id,
            Appointment.provider_id == provider_id,
            Appointment.starts_at == starts_at,
            Appointment.status.in_(HOLDING_STATUSES),
        )
    ).first()


def _may_change(appointment: Appointment, now: datetime, cutoff: timedelta) -> None:
    if not appointment.holds_time:
        raise BookingError(f"This appointment is already {appointment.status.replace('_', ' ')}.")
    if appointment.starts_at - now < cutoff:
        raise TooLate("It is too close to your appointment to change it online. Please call us.")


def cancel_by_patient(
    patient: User,
    appointment_id: int,
    seen_revision: int,
    reason: str,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """LookupError when it is not theirs; TooLate inside the cut-off; ChangedMeanwhile when
    the clinic changed it after the page showing `seen_revision` was loaded."""
    reason = reason.strip()
    with changes.opened(appointment_id, seen_revision, patient_id=patient.id) as appointment:
        _may_change(appointment, now, settings.cancel_cutoff)
        cancelled = Change(
            "cancelled",
            AppointmentStatus.CANCELLED,
            detail=reason,
            notify="cancelled",
            reason=reason,
        )
        return changes.commit(appointment, cancelled, patient, settings=settings, now=now)


def move_by_patient(
    patient: User,
    appointment_id: int,
    seen_revision: int,
    new_start: datetime,
    location_id: int | None = None,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """To another free slot of the same provider and type, at the same place or another of
    the provider's (None: the same); it needs confirming again. The provider's lock and the
    database's no-overlap rule cover every location: a provider is in one place at a time."""
    require_zone(new_start)
    with changes.opened(appointment_id, seen_revision, patient_id=patient.id) as appointment:
        _may_change(appointment, now, settings.cancel_cutoff)
        location = _place(appointment, location_id)
        if new_start == appointment.starts_at and location.id == appointment.location_id:
            # Nothing would change: no history, no email.
            raise BookingError("That is the time it already has. Please choose another.")
        choice = SlotChoice(appointment.provider, location, appointment.type)
        eligibility.require_offered(choice.provider, choice.type, settings, now)
        rules = rules_for(choice.type, settings)
        check_free(choice, new_start, now, rules, ignore=appointment.id)
        detail = f"from {appointment.starts_at.isoformat()} to {new_start.isoformat()}"
        if location.id != appointment.location_id:
            detail += f", from {appointment.location.name} to {location.name}"
        moved = Change(
            "moved",
            AppointmentStatus.REQUESTED,
            # The relationship, not only the id: the email names the new place.
            values=changes.moved_to(appointment, new_start) | {"location": location},
            detail=detail,
            notify="moved",
        )
        try:
            return changes.commit(appointment, moved, patient, settings=settings, now=now)
        except IntegrityError:
            raise taken(choice, new_start, now, rules) from None


def _place(appointment: Appointment, location_id: int | None):
    """The appointment's own location, or another where its provider sees patients."""
    if location_id is None or location_id == appointment.location_id:
        return appointment.location
    for location in appointment.provider.locations:
        if location.id == location_id:
            return location
    raise BookingError(
        f"{appointment.provider.display_name} does not see patients at that location."
    )
