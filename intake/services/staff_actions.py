"""The front desk's actions on one request: confirm, decline, move, cancel, note. Each
change applies once, even when two people act on the same request at once."""

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..domain.availability import group_by_day
from ..extensions import db
from ..formatting import when
from ..models import HOLDING_STATUSES, Appointment, AppointmentStatus, User
from ..settings import ClinicSettings
from . import callbacks, changes, confirmation
from .changes import Change, require_status
from .eligibility import require_offered
from .errors import ActionRefused
from .free_times import SlotChoice, slots_between, staff_rules, taken
from .staff_checks import place, reason_text, still_free

# --- actions -------------------------------------------------------------------------


def confirm(
    appointment_id: int,
    seen_revision: int,
    actor: User,
    override_reason: str = "",
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """Only a requested time still free in the provider's hours, and, checked again in the
    same transaction, with any precautions cleared by a therapist and (for dry needling) a
    valid consent and no absolute finding; or an admin overriding, with a reason."""
    with (
        confirmation.refusal_recorded(appointment_id, actor, "confirm"),
        changes.opened(appointment_id, seen_revision) as appointment,
    ):
        require_status(appointment, (AppointmentStatus.REQUESTED,), "confirmed")
        override = confirmation.checked(
            appointment, actor, override_reason, settings=settings, now=now
        )
        callbacks.require_call_for_urgent(appointment)
        require_offered(appointment.provider, appointment.type, settings, now)
        choice = SlotChoice(appointment.provider, appointment.location, appointment.type)
        still_free(appointment, choice, appointment.starts_at, now, settings)
        confirmed = Change(
            "confirmed",
            AppointmentStatus.CONFIRMED,
            detail=override.history_line() if override else "",
            notify="confirmed",
            **_audits(override, "confirmed"),
        )
        return changes.commit(appointment, confirmed, actor, settings=settings, now=now)


def _audits(override: confirmation.Override | None, action: str) -> dict:
    """The change's audit rows: the override (with its reason and the failed checks) too."""
    if override is None:
        return {"audit": ("status_changed",)}
    return {
        "audit": ("status_changed", override.audit_action),
        "audit_detail": {override.audit_action: override.audit_detail(action)},
    }


def decline(
    appointment_id: int, seen_revision: int, actor: User, reason: str, *, settings, now
) -> Appointment:
    """A request not yet confirmed; the patient's email says why."""
    return _close(appointment_id, seen_revision, actor, reason, "declined", settings, now)


def cancel(
    appointment_id: int, seen_revision: int, actor: User, reason: str, *, settings, now
) -> Appointment:
    """Any visit still holding its time; the patient's email says why."""
    return _close(appointment_id, seen_revision, actor, reason, "cancelled", settings, now)


# What each closing does, from which statuses.
_CLOSINGS = {
    "declined": (AppointmentStatus.DECLINED, (AppointmentStatus.REQUESTED,)),
    "cancelled": (AppointmentStatus.CANCELLED, HOLDING_STATUSES),
}


def _close(
    appointment_id: int,
    seen_revision: int,
    actor: User,
    reason: str,
    action: str,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    status, allowed_from = _CLOSINGS[action]
    why = reason_text(reason)
    closing = Change(
        action, status, detail=why, notify=action, reason=why, audit=("status_changed",)
    )
    return changes.apply(
        appointment_id,
        seen_revision,
        closing,
        actor,
        allowed_from=allowed_from,
        settings=settings,
        now=now,
    )


def move(
    appointment_id: int,
    seen_revision: int,
    actor: User,
    provider_id: int,
    location_id: int,
    starts_at: datetime,
    override_reason: str = "",
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """To a free time of the same or another provider, keeping patient and type. The moved
    request is requested again, even if it was confirmed: the new time needs confirming.
    Consent and screening are checked again as for confirming (an admin may override with a
    reason); the therapist's review is not, as the moved request is confirmed afterwards."""
    # The new provider's time is checked too: both are locked, in one order.
    with (
        confirmation.refusal_recorded(appointment_id, actor, "move"),
        changes.opened(appointment_id, seen_revision, provider_id) as appointment,
    ):
        require_status(appointment, HOLDING_STATUSES, "moved")
        override = confirmation.checked(
            appointment,
            actor,
            override_reason,
            settings=settings,
            now=now,
            review=False,
            verb="move it",
        )
        provider, location = place(provider_id, location_id)
        if (provider.id, location.id, starts_at) == (
            appointment.provider_id,
            appointment.location_id,
            appointment.starts_at,
        ):
            raise ActionRefused("That is the time, provider and place it already has.")
        require_offered(provider, appointment.type, settings, now)
        choice = SlotChoice(provider, location, appointment.type)
        still_free(appointment, choice, starts_at, now, settings)
        before = (
            f"{when(appointment.starts_at, appointment.location.timezone)} with "
            f"{appointment.provider.display_name} at {appointment.location.name}"
        )
        after = (
            f"{when(starts_at, location.timezone)} with {provider.display_name} at {location.name}"
        )
        moved = Change(
            "moved",
            AppointmentStatus.REQUESTED,
            values={
                **changes.moved_to(appointment, starts_at),
                **(_fresh_review() if provider.id != appointment.provider_id else {}),
                "provider": provider,
                "location": location,
            },
            detail=f"from {before} to {after}"
            + (f". {override.history_line()}" if override else ""),
            notify="moved",
            **_audits(override, "moved"),
        )
        try:
            return changes.commit(appointment, moved, actor, settings=settings, now=now)
        except IntegrityError:  # the database's no-overlap rule: someone took it just now
            raise taken(choice, starts_at, now, staff_rules(choice.type, settings)) from None


def _fresh_review() -> dict:
    # Precautions are cleared by the therapist who will needle: a new provider reviews again.
    return {"review_outcome": None, "reviewed_by_id": None, "reviewed_at": None, "review_note": ""}


def add_note(appointment_id: int, actor: User, text: str, *, now: datetime) -> Appointment:
    """A line in the history for staff only: no email, no change to the request."""
    begin_write(db.session)  # SQLite: lock before reading, or the write may find it taken
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        db.session.rollback()
        raise LookupError(appointment_id)
    note = Change("note", detail=text, audit=("added_note",))
    return changes.record(appointment, note, actor, None, settings=None, now=now)


# --- free times for a move -----------------------------------------------------------


def free_times_for_move(
    appointment: Appointment,
    choice: SlotChoice,
    first_day: date,
    days: int,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> dict[date, list[datetime]]:
    """The provider's free starts at the location for the appointment's type, the appointment
    itself not counting as busy. Staff are not held to the patients' online notice period."""
    last_day = first_day + timedelta(days=days - 1)
    rules = staff_rules(choice.type, settings)
    slots = slots_between(choice, first_day, last_day, now, rules, ignore=appointment.id)
    return group_by_day([s for s in slots if s > now], choice.location.timezone)
