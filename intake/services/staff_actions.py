"""The front desk's actions on one request: confirm, decline, move, cancel, note. Each
change applies once, even when two people act on the same request at once."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..domain.availability import group_by_day
from ..extensions import db
from ..formatting import when
from ..models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Provider,
    User,
    utcnow,
)
from ..settings import current_settings  # TODO lead: settings come in as an argument
from . import audit, changes, notifications
from .changes import ChangedMeanwhile
from .free_times import (
    BookingError,
    SlotChoice,
    SlotTaken,
    next_free,
    rules_for,
    slots_between,
)
from .history import appointment_history
from .staff_checks import (
    ActionRefused,
    ReviewNeeded,
    place,
    reason_text,
    require_status,
    review_override,
    still_free,
)

__all__ = ["ActionRefused", "BookingError", "ChangedMeanwhile", "ReviewNeeded", "SlotTaken"]


# --- actions -------------------------------------------------------------------------


def confirm(
    appointment_id: int,
    seen_revision: int,
    actor: User,
    override_reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Only a requested time still free in the provider's hours, with any precautions
    cleared by a therapist (or an admin overriding, with a reason)."""
    now = now or utcnow()
    with _as_seen(appointment_id, seen_revision) as appointment:
        require_status(appointment, (AppointmentStatus.REQUESTED,), "confirmed")
        override = review_override(appointment, actor, override_reason.strip())
        still_free(
            appointment, appointment.provider, appointment.location, appointment.starts_at, now
        )
        return _apply(
            appointment,
            seen_revision,
            AppointmentStatus.CONFIRMED,
            actor,
            action="confirmed",
            allowed_from=(AppointmentStatus.REQUESTED,),
            detail=f"Admin override of the therapist review: {override}" if override else "",
            notify="confirmed",
            extra_audit="review_overridden" if override else None,
            now=now,
        )


def decline(
    appointment_id: int, seen_revision: int, actor: User, reason: str, now: datetime | None = None
) -> Appointment:
    with _as_seen(appointment_id, seen_revision) as appointment:
        require_status(appointment, (AppointmentStatus.REQUESTED,), "declined")
        return _apply(
            appointment,
            seen_revision,
            AppointmentStatus.DECLINED,
            actor,
            action="declined",
            allowed_from=(AppointmentStatus.REQUESTED,),
            detail=reason_text(reason),
            notify="declined",
            email_reason=reason_text(reason),
            now=now or utcnow(),
        )


def cancel(
    appointment_id: int, seen_revision: int, actor: User, reason: str, now: datetime | None = None
) -> Appointment:
    with _as_seen(appointment_id, seen_revision) as appointment:
        require_status(appointment, HOLDING_STATUSES, "cancelled")
        return _apply(
            appointment,
            seen_revision,
            AppointmentStatus.CANCELLED,
            actor,
            action="cancelled",
            allowed_from=HOLDING_STATUSES,
            detail=reason_text(reason),
            notify="cancelled",
            email_reason=reason_text(reason),
            now=now or utcnow(),
        )


def move(
    appointment_id: int,
    seen_revision: int,
    actor: User,
    provider_id: int,
    location_id: int,
    starts_at: datetime,
    now: datetime | None = None,
) -> Appointment:
    """To a free time of the same or another provider, keeping patient and type. The moved
    request is requested again, even if it was confirmed: the new time needs confirming."""
    now = now or utcnow()
    # The new provider's time is checked too: both are locked, in one order.
    with _as_seen(appointment_id, seen_revision, provider_id) as appointment:
        require_status(appointment, HOLDING_STATUSES, "moved")
        provider, location = place(provider_id, location_id)
        if (provider.id, location.id, starts_at) == (
            appointment.provider_id,
            appointment.location_id,
            appointment.starts_at,
        ):
            raise ActionRefused("That is the time, provider and place it already has.")
        still_free(appointment, provider, location, starts_at, now)
        before = (
            f"{when(appointment.starts_at, appointment.location.timezone)} with "
            f"{appointment.provider.display_name} at {appointment.location.name}"
        )
        after = (
            f"{when(starts_at, location.timezone)} with {provider.display_name} at {location.name}"
        )
        choice = SlotChoice(provider, location, appointment.type)
        try:
            return _apply(
                appointment,
                seen_revision,
                AppointmentStatus.REQUESTED,
                actor,
                action="moved",
                allowed_from=HOLDING_STATUSES,
                detail=f"from {before} to {after}",
                notify="moved",
                extra={
                    "provider_id": provider.id,
                    "location_id": location.id,
                    "starts_at": starts_at,
                    "ends_at": starts_at + (appointment.ends_at - appointment.starts_at),
                    "blocks_until": starts_at + (appointment.blocks_until - appointment.starts_at),
                    "reminder_sent_at": None,
                    **(_fresh_review() if provider.id != appointment.provider_id else {}),
                },
                now=now,
            )
        except IntegrityError:  # the database's no-overlap rule: someone took it just now
            db.session.rollback()
            raise SlotTaken(
                "That time was just taken by someone else.", next_free(choice, starts_at, now)
            ) from None


def _fresh_review() -> dict:
    # Precautions are cleared by the therapist who will needle: a new provider reviews again.
    return {"review_outcome": None, "reviewed_by_id": None, "reviewed_at": None, "review_note": ""}


def add_note(
    appointment_id: int, actor: User, text: str, now: datetime | None = None
) -> AppointmentEvent:
    """A line in the history for staff only: no email, no change to the request."""
    now = now or utcnow()
    begin_write(db.session)  # SQLite: lock before reading, or the write may find it taken
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        db.session.rollback()
        raise LookupError(appointment_id)
    note = AppointmentEvent(
        appointment_id=appointment.id, actor_id=actor.id, action="note", detail=text[:1000], at=now
    )
    db.session.add(note)
    audit.record(
        "added_note",
        actor_id=actor.id,
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
    )
    db.session.commit()
    return note


# --- free times for a move -----------------------------------------------------------


def free_times_for_move(
    appointment: Appointment, provider: Provider, location, first_day: date, days: int, now
) -> dict[date, list[datetime]]:
    """The provider's free starts at the location for the appointment's type, the appointment
    itself not counting as busy. Staff are not held to the patients' online notice period."""
    choice = SlotChoice(provider, location, appointment.type)
    last_day = first_day + timedelta(days=days - 1)
    notice = rules_for(appointment.type).notice
    slots = slots_between(choice, first_day, last_day, now - notice, ignore=appointment.id)
    return group_by_day([s for s in slots if s > now], location.timezone)


# --- helpers -------------------------------------------------------------------------


@contextmanager
def _as_seen(
    appointment_id: int, seen_revision: int, *more_providers: int
) -> Iterator[Appointment]:
    """The appointment as the page showed it, read inside a write transaction that holds its
    provider's lock (PostgreSQL) or the write lock (SQLite) until the change commits, so the
    checks that follow are still true when it is written. A refusal ends the transaction."""
    provider_id = db.session.scalar(
        select(Appointment.provider_id).where(Appointment.id == appointment_id)
    )
    if provider_id is None:
        raise LookupError(appointment_id)
    begin_write(db.session, provider_id, *more_providers)
    try:
        appointment = changes.load(appointment_id)
        if appointment.revision != seen_revision:
            raise ChangedMeanwhile(appointment)
        yield appointment
    except BaseException as error:
        if isinstance(error, ChangedMeanwhile) and error.appointment in db.session:
            db.session.expunge(error.appointment)  # the page shows it as it stands
        db.session.rollback()
        raise


def _apply(
    appointment: Appointment,
    seen_revision: int,
    to_status: AppointmentStatus,
    actor: User,
    *,
    action: str,
    allowed_from,
    detail: str = "",
    notify: str | None = None,
    email_reason: str = "",
    extra: dict | None = None,
    extra_audit: str | None = None,
    now: datetime,
) -> Appointment:
    """changes.change_status, but the history's detail and the email's reason kept apart (an
    admin's override reason is for staff, not the patient's inbox)."""
    from_status = appointment.status
    claimed = changes.claim(
        appointment.id, seen_revision, allowed_from, {"status": to_status, **(extra or {})}, now
    )
    appointment_history(claimed, actor, action, from_status, to_status, now, detail)
    if notify:
        settings = current_settings()  # TODO lead: take settings as an argument
        notifications.notify(claimed, notify, email_reason, settings=settings, stamped_at=now)
    for name in ("status_changed", extra_audit):
        if name:
            audit.record(
                name,
                actor_id=actor.id,
                object_type="appointment",
                object_id=claimed.id,
                patient_id=claimed.patient_id,
            )
    db.session.commit()
    return claimed
