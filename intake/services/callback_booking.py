"""Booking on a patient's behalf once a callback closed "cleared to book": the front desk
picks a free time from the same availability engine, and the visit is saved confirmed under
the same safety checks as confirming a request, in one commit with its record."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..database import begin_write
from ..domain.availability import group_by_day
from ..domain.confirmation import Failure, failed_checks
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Callback,
    CallbackOutcome,
    CallbackStatus,
    CallLog,
    Provider,
    User,
)
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit, changes, confirmation, forms_pending
from .changes import Change
from .directory import listed
from .eligibility import require_offered
from .errors import ActionRefused, SafetyRefused, SlotTaken
from .free_times import SlotChoice, next_free, slots_between, staff_rules
from .readiness import assess
from .staff_checks import place, still_free

NOT_CLEARED = "Only a callback closed as \u201ccleared to book\u201d can be booked from."
NOT_A_PATIENT = "This account is not an active patient account, so no visit can be booked for it."
URGENT_NEEDS_A_CALL = (
    "This patient reported an urgent finding: log a call on the callback before booking."
)
TAKEN = "Another appointment now holds that time."


def bookable_callback(callback_id: int) -> Callback | None:
    """The callback with its patient; None when missing. ActionRefused, in words, when it is
    not closed as cleared to book or its patient is not an active patient."""
    callback = db.session.scalars(
        select(Callback).where(Callback.id == callback_id).options(joinedload(Callback.patient))
    ).first()
    if callback is None:
        return None
    require_bookable(callback)
    return callback


def require_bookable(callback: Callback) -> None:
    if callback.status != CallbackStatus.CLOSED or callback.outcome != CallbackOutcome.CLEARED:
        raise ActionRefused(NOT_CLEARED)
    patient = callback.patient
    if patient.role != Role.PATIENT or not patient.active:
        raise ActionRefused(NOT_A_PATIENT)


def active_providers() -> list[Provider]:
    """Providers whose account is active, with their locations, by name: one query."""
    return list(
        db.session.scalars(
            listed().options(joinedload(Provider.locations)).order_by(Provider.display_name)
        ).unique()
    )


def free_times(
    choice: SlotChoice, first_day: date, days: int, *, settings: ClinicSettings, now: datetime
) -> dict[date, list[datetime]]:
    """The provider's free starts at the place for the type, by the staff rules (their hours
    bind, the patients' online notice period does not)."""
    rules = staff_rules(choice.type, settings)
    last_day = first_day + timedelta(days=days - 1)
    slots = slots_between(choice, first_day, last_day, now, rules)
    return group_by_day([s for s in slots if s > now], choice.location.timezone)


def failures_for(
    callback: Callback, kind: AppointmentType, *, settings: ClinicSettings, now: datetime
) -> tuple[Failure, ...]:
    """What would refuse a visit of this type for the callback's patient, to warn up front."""
    return failed_checks(
        confirmation.facts_now(
            _draft(callback.patient, kind, settings, now), settings=settings, now=now
        ),
        forms_may_follow=True,
    )


@dataclass(frozen=True)
class Booking:
    provider_id: int
    location_id: int
    type_id: int
    starts_at: datetime


def book(
    callback_id: int,
    actor: User,
    booking: Booking,
    override_reason: str = "",
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """A confirmed visit for the callback's patient at a free time, booked by `actor`, with
    its history line, audit rows and the patient's "confirmed" email, in one commit; the
    callback is linked to it. LookupError for a missing callback; ActionRefused (SafetyRefused
    for a failed safety check, SlotTaken for a time no longer free) with nothing written."""
    actor_id = actor.id
    begin_write(db.session, booking.provider_id)
    try:
        callback = bookable_callback(callback_id)
        if callback is None:
            raise LookupError(callback_id)
        kind = db.session.get(AppointmentType, booking.type_id)
        if kind is None or not kind.active:
            raise ActionRefused("Please choose one of the appointment types we offer.")
        provider, location = place(booking.provider_id, booking.location_id)
        if not provider.user.active:
            raise ActionRefused("Please choose a provider and one of their locations.")
        choice = SlotChoice(provider, location, kind)
        appointment = _draft(callback.patient, kind, settings, now)
        appointment.provider_id, appointment.location_id = provider.id, location.id
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.updated_at = now
        for name, value in changes.times_at(booking.starts_at, kind).items():
            setattr(appointment, name, value)
        override = confirmation.checked(
            appointment,
            actor,
            override_reason,
            settings=settings,
            now=now,
            verb="book it",
            forms_may_follow=True,  # missing forms make the visit forms pending instead
        )
        if appointment.urgent:
            _require_call(callback)
        require_offered(provider, kind, settings, now)
        still_free(appointment, choice, booking.starts_at, now, settings)
        db.session.add(appointment)
        try:
            db.session.flush()
        except IntegrityError:  # the database's no-overlap rule: someone took it just now
            db.session.rollback()
            rules = staff_rules(kind, settings)
            raise SlotTaken(TAKEN, next_free(choice, booking.starts_at, now, rules)) from None
        if callback.appointment_id is None:
            callback.appointment_id = appointment.id
        forms_pending.after_staff_booking(appointment, actor, settings=settings, now=now)
    except SafetyRefused as refused:
        db.session.rollback()
        _record_refusal(callback_id, actor_id, refused)
        raise
    except BaseException:
        db.session.rollback()
        raise
    detail = f"booked by {actor.full_name} for the patient after a call"
    if override is not None:
        detail += f". {override.history_line()}"
    booked = Change(
        "booked",
        AppointmentStatus.CONFIRMED,
        detail=detail[:1000],
        notify="confirmed",
        audit=("booked_for_patient",) + ((override.audit_action,) if override else ()),
        audit_detail={
            "booked_for_patient": {"callback_id": callback_id},
            **({override.audit_action: override.audit_detail("booked")} if override else {}),
        },
    )
    return changes.record(appointment, booked, actor, None, settings=settings, now=now)


def _draft(patient: User, kind: AppointmentType, settings: ClinicSettings, now: datetime):
    """A visit not yet in the session, carrying what a request records about the patient."""
    _, snapshot = assess(patient, kind, now, settings.consent_max_age)
    appointment = Appointment(
        patient_id=patient.id,
        type_id=kind.id,
        screening_snapshot=snapshot.screening,
        needs_review=snapshot.needs_review,
        urgent=snapshot.urgent,
        intake_id=snapshot.intake_id,
        consent_id=snapshot.consent_id,
        created_at=now,
        updated_at=now,
    )
    appointment.type = kind
    return appointment


def _require_call(callback: Callback) -> None:
    """An urgent patient is booked only after someone spoke, or tried to, on this callback."""
    called = db.session.scalar(select(exists().where(CallLog.callback_id == callback.id)))
    if not called:
        raise ActionRefused(URGENT_NEEDS_A_CALL)


def _record_refusal(callback_id: int, actor_id: int, refused: SafetyRefused) -> None:
    patient_id = db.session.scalar(select(Callback.patient_id).where(Callback.id == callback_id))
    audit.record(
        "book_for_patient_refused",
        actor_id=actor_id,
        object_type="callback",
        object_id=callback_id,
        patient_id=patient_id,
        detail=confirmation.failures_detail(refused.failures),
        commit=True,
    )
