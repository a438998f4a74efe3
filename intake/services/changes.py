"""The one way an appointment changes: as its page showed it, under its provider's lock, then
the change, its history line, the patient's email and the audit rows, committed together."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import begin_write
from ..extensions import db
from ..models import Appointment, AppointmentStatus, AppointmentType, Provider, User
from ..settings import ClinicSettings
from . import aftercare, audit, notifications, waitlist_offers
from .errors import ActionRefused, ChangedMeanwhile
from .history import appointment_history


@dataclass(frozen=True)
class Change:
    """What one action does to an appointment, and what it leaves on record."""

    action: str  # the history's verb: confirmed, moved, reviewed, cancelled...
    status: AppointmentStatus | None = None  # None: the status stays as it is
    values: Mapping[str, object] = field(default_factory=dict)  # other columns to set
    detail: str = ""  # the history line, read by staff
    notify: str | None = None  # the kind of email the patient gets, if any
    reason: str = ""  # what that email says of why (an admin's override stays out of it)
    audit: tuple[str, ...] = ()  # audit actions to record: staff changes, never the patient's
    audit_detail: Mapping[str, Mapping] = field(default_factory=dict)  # action -> its detail


def require_status(appointment: Appointment, allowed, verb: str) -> None:
    if appointment.status not in allowed:
        status = appointment.status.replace("_", " ")
        raise ActionRefused(f"This appointment is {status}; it cannot be {verb} now.")


def load(appointment_id: int) -> Appointment | None:
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .options(
            selectinload(Appointment.patient),
            selectinload(Appointment.location),
            selectinload(Appointment.type),
            selectinload(Appointment.provider).selectinload(Provider.user),
        )
    ).first()


@contextmanager
def opened(
    appointment_id: int,
    seen_revision: int,
    *more_providers: int,
    patient_id: int | None = None,
) -> Iterator[Appointment]:
    """The appointment as the page showed it, read inside a write transaction that holds its
    provider's lock (PostgreSQL) or the write lock (SQLite) until the change commits, so the
    checks made inside are still true when it is written. `patient_id` limits it to that
    patient's own. LookupError when missing (or not theirs), ChangedMeanwhile when changed
    since `seen_revision`; any refusal ends the transaction."""
    found = select(Appointment.provider_id).where(Appointment.id == appointment_id)
    if patient_id is not None:
        found = found.where(Appointment.patient_id == patient_id)
    provider_id = db.session.scalar(found)
    if provider_id is None:
        raise LookupError(appointment_id)
    message = ChangedMeanwhile.STAFF if patient_id is None else ChangedMeanwhile.PATIENT
    begin_write(db.session, provider_id, *more_providers)
    try:
        appointment = load(appointment_id)
        if appointment is None:
            raise LookupError(appointment_id)
        if appointment.revision != seen_revision:
            raise ChangedMeanwhile(appointment, message)
        yield appointment
    except BaseException as error:
        if isinstance(error, ChangedMeanwhile):
            error.args = (message,)
            if error.appointment in db.session:
                db.session.expunge(error.appointment)  # the page shows it as it stands
        db.session.rollback()
        raise


def commit(
    appointment: Appointment,
    change: Change,
    actor: User,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """Write `change` to an appointment from `opened`, with its record, in one commit.

    The UPDATE says WHERE revision = the one read (the model's version_id_col): a write
    committed since makes it match no row, and the change is refused as ChangedMeanwhile.
    An IntegrityError (the database's no-overlap rule) is rolled back and re-raised for the
    caller to explain."""
    from_status = appointment.status
    held = waitlist_offers.time_held(appointment)
    if change.status is not None:
        appointment.status = change.status
    for name, value in change.values.items():
        setattr(appointment, name, value)
    appointment.updated_at = now
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ChangedMeanwhile(load(appointment.id)) from None
    except IntegrityError:
        db.session.rollback()
        raise
    # A cancel, a decline or a move lets go of a time that waiting patients may want.
    freed = held if held is not None and held != waitlist_offers.time_held(appointment) else None
    return record(appointment, change, actor, from_status, settings=settings, now=now, freed=freed)


def record(
    appointment: Appointment,
    change: Change,
    actor: User,
    from_status: AppointmentStatus | None,
    *,
    settings: ClinicSettings | None,  # needed when the change sends an email
    now: datetime,
    freed: waitlist_offers.FreedTime | None = None,
    visit: notifications.Visit | None = None,
) -> Appointment:
    """The change's history line, the patient's email and the audit rows, then the commit:
    for a change just flushed, a new request, or a note that changes nothing. A `freed`
    time is offered to the waitlist in the same commit. `visit`: the rows the emails name,
    when the caller holds them."""
    appointment_history(
        appointment,
        actor,
        change.action,
        from_status,
        change.status or from_status,
        now,
        change.detail,
    )
    if change.notify:
        notifications.notify(
            appointment,
            change.notify,
            change.reason,
            settings=settings,
            stamped_at=now,
            visit=visit,
        )
    if change.status == AppointmentStatus.COMPLETED and appointment.type.involves_dry_needling:
        aftercare.start(appointment, settings=settings, now=now)
    if freed is not None:
        waitlist_offers.offer_time(freed, settings=settings, now=now)
    for action in change.audit:
        audit.record(
            action,
            actor_id=actor.id,
            object_type="appointment",
            object_id=appointment.id,
            patient_id=appointment.patient_id,
            detail=dict(change.audit_detail[action]) if action in change.audit_detail else None,
        )
    db.session.commit()
    return appointment


def times_at(starts_at: datetime, kind: AppointmentType) -> dict:
    """The columns that place a new visit of this type at a start."""
    length = timedelta(minutes=kind.duration_minutes)
    return {
        "starts_at": starts_at,
        "ends_at": starts_at + length,
        "blocks_until": starts_at + length + timedelta(minutes=kind.buffer_after_minutes),
    }


def moved_to(appointment: Appointment, starts_at: datetime) -> dict:
    """The columns that place a visit at a new start, keeping its length and buffer."""
    return {
        "starts_at": starts_at,
        "ends_at": starts_at + (appointment.ends_at - appointment.starts_at),
        "blocks_until": starts_at + (appointment.blocks_until - appointment.starts_at),
        "reminder_sent_at": None,  # the new time deserves its own reminder
    }


def apply(
    appointment_id: int,
    seen_revision: int,
    change: Change,
    actor: User,
    *,
    settings: ClinicSettings,
    now: datetime,
    allowed_from: tuple[str, ...] | None = None,
) -> Appointment:
    """`opened` then `commit`, for a change that needs no check beyond its status."""
    with opened(appointment_id, seen_revision) as appointment:
        if allowed_from is not None:
            require_status(appointment, allowed_from, change.action)
        return commit(appointment, change, actor, settings=settings, now=now)
