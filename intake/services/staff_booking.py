"""Booking on a patient's behalf, by the front desk: for a caller from the patient record or
the calendar, or once a callback closed "cleared to book". The desk picks a free time from the
same availability engine, and the visit is saved confirmed under the same safety checks as
confirming a request, in one commit with its record. A missing intake or consent does not
refuse: the visit is saved with its forms pending (services/forms_pending.py)."""

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
URGENT_NEEDS_ANY_CALL = (
    "This patient reported an urgent finding: log a call on their callback before booking."
)


@dataclass(frozen=True)
class Subject:
    """Whom the visit is for, and the cleared callback it is booked from, if any."""

    patient_id: int
    callback_id: int | None = None


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
    require_active_patient(callback.patient)


def require_active_patient(patient: User) -> None:
    if patient.role != Role.PATIENT or not patient.active:
        raise ActionRefused(NOT_A_PATIENT)


def bookable_patient(patient_id: int) -> User | None:
    """The patient; None when there is no such patient account (a 404). ActionRefused, in
    words, when the account is deactivated."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role != Role.PATIENT:
        return None
    require_active_patient(patient)
    return patient


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
    patient: User,
    kind: AppointmentType,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> tuple[Failure, ...]:
    """What would refuse a visit of this type for the patient, to warn up front."""
    return failed_checks(
        confirmation.facts_now(_draft(patient, kind, settings, now), settings=settings, now=now),
        forms_may_follow=True,
    )


@dataclass(frozen=True)
class Booking:
    provider_id: int
    location_id: int
    type_id: int
    starts_at: datetime


def book(
    subject: Subject,
    actor: User,
    booking: Booking,
    override_reason: str = "",
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """A confirmed visit for the patient at a free time, booked by `actor`, with its history
    line, audit rows and the patient's "confirmed" email (when they have an email), in one
    commit; a callback booked from is linked to it. LookupError for a missing patient or
    callback; ActionRefused (SafetyRefused for a failed safety check, SlotTaken for a time no
    longer free) with nothing written."""
    actor_id = actor.id
    begin_write(db.session, booking.provider_id)
    try:
        patient, callback = _subject(subject)
        kind = db.session.get(AppointmentType, booking.type_id)
        if kind is None or not kind.active:
            raise ActionRefused("Please choose one of the appointment types we offer.")
        provider, location = place(booking.provider_id, booking.location_id)
        if not provider.user.active:
            raise ActionRefused("Please choose a provider and one of their locations.")
        choice = SlotChoice(provider, location, kind)
        appointment = _draft(patient, kind, settings, now)
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
            # Forms yet to fill in refuse nothing: the visit is booked with its forms pending
            # and the patient is sent the link (a withdrawn consent, absolute findings refuse).
            forms_may_follow=True,
        )
        if appointment.urgent:
            _require_call(patient.id, callback)
        require_offered(provider, kind, settings, now)
        still_free(appointment, choice, booking.starts_at, now, settings)
        db.session.add(appointment)
        try:
            db.session.flush()
        except IntegrityError:  # the database's no-overlap rule: someone took it just now
            db.session.rollback()
            rules = staff_rules(kind, settings)
            raise SlotTaken(TAKEN, next_free(choice, booking.starts_at, now, rules)) from None
        if callback is not None and callback.appointment_id is None:
            callback.appointment_id = appointment.id
        missing = forms_pending.after_staff_booking(appointment, actor, settings=settings, now=now)
    except SafetyRefused as refused:
        db.session.rollback()
        _record_refusal(subject, actor_id, refused)
        raise
    except BaseException:
        db.session.rollback()
        raise
    return changes.record(
        appointment,
        _booked(subject, actor, override, forms_pending=bool(missing)),
        actor,
        None,
        settings=settings,
        now=now,
    )


def _subject(subject: Subject) -> tuple[User, Callback | None]:
    if subject.callback_id is None:
        patient = bookable_patient(subject.patient_id)
        if patient is None:
            raise LookupError(subject.patient_id)
        return patient, None
    callback = bookable_callback(subject.callback_id)
    if callback is None or callback.patient_id != subject.patient_id:
        raise LookupError(subject.callback_id)
    return callback.patient, callback


def _booked(subject: Subject, actor: User, override, *, forms_pending: bool) -> Change:
    if subject.callback_id is not None:
        detail = f"booked by {actor.full_name} for the patient after a call"
        booked_detail = {"callback_id": subject.callback_id}
    else:
        detail = f"booked by {actor.full_name} for the patient"
        booked_detail = {"from": "patient_record"}
    if forms_pending:  # the hook's history line says which forms
        booked_detail["forms_pending"] = True
    if override is not None:
        detail += f". {override.history_line()}"
    return Change(
        "booked",
        AppointmentStatus.CONFIRMED,
        detail=detail[:1000],
        notify="confirmed",
        audit=("booked_for_patient",) + ((override.audit_action,) if override else ()),
        audit_detail={
            "booked_for_patient": booked_detail,
            **({override.audit_action: override.audit_detail("booked")} if override else {}),
        },
    )


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


def _require_call(patient_id: int, callback: Callback | None) -> None:
    """An urgent patient is booked only after someone spoke, or tried to, on this callback
    (from the patient record: on one of their callbacks)."""
    if callback is not None:
        about, refusal = CallLog.callback_id == callback.id, URGENT_NEEDS_A_CALL
    else:
        about = (CallLog.patient_id == patient_id) & CallLog.callback_id.is_not(None)
        refusal = URGENT_NEEDS_ANY_CALL
    if not db.session.scalar(select(exists().where(about))):
        raise ActionRefused(refusal)


def _record_refusal(subject: Subject, actor_id: int, refused: SafetyRefused) -> None:
    on_callback = subject.callback_id is not None
    audit.record(
        "book_for_patient_refused",
        actor_id=actor_id,
        object_type="callback" if on_callback else "user",
        object_id=subject.callback_id if on_callback else subject.patient_id,
        patient_id=subject.patient_id,
        detail=confirmation.failures_detail(refused.failures),
        commit=True,
    )
