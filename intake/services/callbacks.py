"""Patients the clinic must call: opened by their answers, worked by the front desk, every call
on record. Urgent requests wait for a logged call before they can be confirmed."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import ScalarSelect, Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, load_only

from ..database import begin_write
from ..domain import needling
from ..domain.aftercare import QUESTIONS, CheckInAnswers
from ..domain.business_hours import waited_too_long, waited_words
from ..domain.screening import RULES, ScreeningLevel, ScreeningResult
from ..extensions import db
from ..models import (
    Appointment,
    Callback,
    CallbackOutcome,
    CallbackSource,
    CallbackStatus,
    CallLog,
    CallOutcome,
    CheckIn,
    Intake,
    OutboxMessage,
    User,
)
from ..settings import ClinicSettings
from . import audit
from .errors import ActionRefused

PER_PAGE = 50
# Only these findings need a call: the others are for the therapist's review.
CALL_LEVELS = (ScreeningLevel.RED_FLAG, ScreeningLevel.ABSOLUTE)
_REASONS = {rule.key: rule.reason for rule in RULES}
URGENT_NEEDS_A_CALL = "Log a call with the patient before confirming an urgent request."
CLOSING_NEEDS_A_CALL = "Log a call with the patient before closing an urgent callback."


def finding_words(keys: list[str]) -> list[str]:
    """The reason for each finding, from today's rules; a rule removed since shows its key."""
    return [_REASONS.get(key, key.replace("_", " ")) for key in keys]


# A check-in answer is kept as "check_in:<question>", in words like a screening reason.
CHECK_IN_KEY = "check_in:"
_REASONS |= {
    CHECK_IN_KEY + question.key: (
        f"At the check-in after a needling visit: {question.short}. This can be a sign of a "
        "collapsed lung; the patient was told to call 911 or go to an emergency department."
    )
    for question in QUESTIONS
    if question.alarming
}
# A serious adverse event in a signed session note is kept as "adverse_event:<kind>".
ADVERSE_EVENT_KEY = "adverse_event:"
_REASONS |= {
    ADVERSE_EVENT_KEY + kind: (
        f"After a needling visit, the therapist recorded a serious adverse event: "
        f"{needling.label(kind)}. Call the patient to check on them."
    )
    for kind in needling.SERIOUS
}


# --- opening one, from a saved intake ---------------------------------------------------


def open_for_screening(
    patient: User,
    intake: Intake,
    now: datetime,
    *,
    settings: ClinicSettings | None = None,
    task_link: Callable[[int], str] | None = None,
) -> Callback | None:
    """The patient's open callback when this intake's screening needs a call (a red flag, or
    a finding that blocks online booking), in the caller's transaction, whether or not they
    ever book. One open callback per patient: later answers add to it. The front desk is
    emailed when one opens, or turns urgent, given the settings and a link to the task."""
    result = ScreeningResult.from_dict(intake.screening)
    keys = [f.key for f in result.findings if f.level in CALL_LEVELS]
    if not keys:
        return None
    return _opened(
        patient.id,
        keys,
        Need(result.urgent, result.blocks_online_dry_needling, CallbackSource.INTAKE),
        now,
        settings,
        task_link,
    )


def open_for_check_in(
    check_in: CheckIn,
    answers: CheckInAnswers,
    now: datetime,
    *,
    settings: ClinicSettings | None = None,
    task_link: Callable[[int], str] | None = None,
) -> Callback:
    """An urgent callback for a breathing or chest symptom after needling, in the caller's
    transaction: the patient was told to get emergency care, and the clinic calls them too."""
    keys = [CHECK_IN_KEY + question.key for question in answers.said_yes() if question.alarming]
    need = Need(urgent=True, blocks_booking=False, source=CallbackSource.CHECK_IN)
    callback = _opened(check_in.patient_id, keys, need, now, settings, task_link)
    callback.appointment_id = callback.appointment_id or check_in.appointment_id
    return callback


def open_for_adverse_events(
    appointment: Appointment,
    kinds: list[str],
    now: datetime,
    *,
    settings: ClinicSettings | None = None,
    task_link: Callable[[int], str] | None = None,
) -> Callback:
    """An urgent callback to check on the patient after a serious adverse event recorded on
    their visit, in the caller's transaction (the note's): the admins are alerted, and the
    front desk calls the patient, on record."""
    keys = [ADVERSE_EVENT_KEY + kind for kind in needling.serious(kinds)]
    need = Need(urgent=True, blocks_booking=False, source=CallbackSource.ADVERSE_EVENT)
    callback = _opened(appointment.patient_id, keys, need, now, settings, task_link)
    callback.appointment_id = callback.appointment_id or appointment.id
    return callback


@dataclass(frozen=True)
class Need:
    urgent: bool
    blocks_booking: bool
    source: CallbackSource


def _opened(
    patient_id: int,
    keys: list[str],
    need: Need,
    now: datetime,
    settings: ClinicSettings | None,
    task_link: Callable[[int], str] | None,
) -> Callback:
    callback = db.session.scalars(
        select(Callback).where(
            Callback.patient_id == patient_id, Callback.status == CallbackStatus.OPEN
        )
    ).first()
    if callback is None:
        callback = Callback(
            patient_id=patient_id,
            urgent=need.urgent,
            blocks_booking=need.blocks_booking,
            finding_keys=keys,
            source=need.source,
            opened_at=now,
        )
        db.session.add(callback)
        announce = True
    else:
        announce = need.urgent and not callback.urgent
        callback.urgent = callback.urgent or need.urgent
        callback.blocks_booking = callback.blocks_booking or need.blocks_booking
        callback.finding_keys = list(dict.fromkeys([*callback.finding_keys, *keys]))
    db.session.flush()
    if announce and settings is not None and task_link is not None:
        _tell_front_desk(callback, settings, task_link(callback.id))
    return callback


def _tell_front_desk(callback: Callback, settings: ClinicSettings, link: str) -> None:
    # Email is not a secure channel: no name, no answers, only that a call is needed and where.
    if callback.urgent:
        subject = "URGENT: a patient needs a call today"
        opening = "A patient's answers need an urgent phone call from the front desk."
    else:
        subject = "A patient needs a call before booking"
        opening = "A patient cannot book online until the clinic has talked with them."
    body = "\n".join(
        [
            "Hello team,",
            "",
            opening,
            "Open the task to see who to call and why (sign-in needed):",
            "",
            link,
            "",
            settings.clinic_name,
        ]
    )
    db.session.add(
        OutboxMessage(
            kind="staff_callback",
            recipient=settings.front_desk_email,
            subject=subject,
            body=body + "\n",
        )
    )


def contact_intakes(patient_ids) -> dict[int, Intake]:
    """Each patient's current intake, for the legal name and phone only: one query."""
    if not patient_ids:
        return {}
    found = db.session.scalars(
        select(Intake)
        .where(Intake.patient_id.in_(patient_ids), Intake.superseded_at.is_(None))
        .options(
            load_only(
                Intake.patient_id, Intake.legal_first_name, Intake.legal_last_name, Intake.phone
            )
        )
    )
    return {intake.patient_id: intake for intake in found}


# --- the desk's list ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackRow:
    callback: Callback
    intake: Intake | None  # phone and legal name, when the patient gave them
    findings: list[str]
    waited: str
    overdue: bool


@dataclass(frozen=True)
class CallbackPage:
    rows: list[CallbackRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# Matches ix_callbacks_list column for column.
LIST_ORDER = (Callback.urgent.desc(), Callback.opened_at, Callback.id)


def open_callbacks(
    page: int, now: datetime, zone: str, limit_hours: float, per_page: int = PER_PAGE
) -> CallbackPage:
    """Open callbacks, urgent first then oldest. Four queries whatever their number: count,
    the page's ids off the index, their rows with the patients, the patients' intakes."""
    is_open = Callback.status == CallbackStatus.OPEN
    total = db.session.scalar(select(func.count(Callback.id)).where(is_open))
    page = min(max(page, 1), max(1, -(-total // per_page)))
    ids = db.session.scalars(
        select(Callback.id)
        .where(is_open)
        .order_by(*LIST_ORDER)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    found = {
        c.id: c
        for c in db.session.scalars(
            select(Callback)
            .where(Callback.id.in_(ids))
            .options(joinedload(Callback.patient, innerjoin=True))
        )
    }
    callbacks = [found[i] for i in ids if i in found]
    intakes = contact_intakes({c.patient_id for c in callbacks})
    rows = [
        CallbackRow(
            c,
            intakes.get(c.patient_id),
            finding_words(c.finding_keys),
            waited_words(c.opened_at, now),
            waited_too_long(c.opened_at, now, zone, limit_hours),
        )
        for c in callbacks
    ]
    return CallbackPage(rows, total, page, per_page)


def open_urgent_count() -> int:
    return db.session.scalar(_open_urgent_count_query())


@cache
def _open_urgent_count_query() -> Select:
    return select(func.count(Callback.id)).where(
        Callback.status == CallbackStatus.OPEN, Callback.urgent.is_(True)
    )


def open_urgent_count_column() -> ScalarSelect:
    """`open_urgent_count()` as a scalar subquery, to read it in another statement."""
    return _open_urgent_count_query().scalar_subquery()


# --- one callback -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackView:
    callback: Callback
    intake: Intake | None
    findings: list[str]
    calls: list[CallLog]
    waited: str
    overdue: bool


def open_callback(
    callback_id: int, viewer: User, now: datetime, zone: str, limit_hours: float
) -> CallbackView | None:
    """One callback with its calls; the look is on record (committed) before it is shown."""
    patient_id = db.session.scalar(select(Callback.patient_id).where(Callback.id == callback_id))
    if patient_id is None:
        return None
    audit.record(
        "viewed_callback",
        actor_id=viewer.id,
        object_type="callback",
        object_id=callback_id,
        patient_id=patient_id,
        commit=True,
    )
    callback = db.session.scalars(
        select(Callback)
        .where(Callback.id == callback_id)
        .options(joinedload(Callback.patient), joinedload(Callback.closed_by))
    ).one()
    calls = db.session.scalars(
        select(CallLog)
        .where(CallLog.callback_id == callback_id)
        .options(joinedload(CallLog.by))
        .order_by(CallLog.at.desc(), CallLog.id.desc())
    ).all()
    until = callback.closed_at or now
    return CallbackView(
        callback,
        contact_intakes({patient_id}).get(patient_id),
        finding_words(callback.finding_keys),
        list(calls),
        waited_words(callback.opened_at, until),
        callback.closed_at is None and waited_too_long(callback.opened_at, now, zone, limit_hours),
    )


def calls_for_appointment(appointment: Appointment) -> list[CallLog]:
    """Calls logged on the request, and on the patient's callbacks since it was made."""
    return list(
        db.session.scalars(
            select(CallLog)
            .where(_about(appointment), CallLog.at >= appointment.created_at)
            .options(joinedload(CallLog.by))
            .order_by(CallLog.at.desc(), CallLog.id.desc())
        )
    )


# --- acting on it -------------------------------------------------------------------------


def log_call(
    actor: User,
    outcome: CallOutcome,
    advice: str,
    *,
    now: datetime,
    callback_id: int | None = None,
    appointment_id: int | None = None,
) -> CallLog:
    """A call on record, about a callback or a request (and then also the patient's open
    callback, so one call counts for both). LookupError when neither exists."""
    begin_write(db.session)
    if callback_id is not None:
        callback = db.session.get(Callback, callback_id)
        if callback is None:
            db.session.rollback()
            raise LookupError(callback_id)
        if callback.status != CallbackStatus.OPEN:
            db.session.rollback()
            raise ActionRefused("This callback is closed; calls are logged on open ones.")
        patient_id, appointment_id = callback.patient_id, callback.appointment_id
    else:
        patient_id = db.session.scalar(
            select(Appointment.patient_id).where(Appointment.id == appointment_id)
        )
        if patient_id is None:
            db.session.rollback()
            raise LookupError(appointment_id)
        callback_id = db.session.scalar(
            select(Callback.id).where(
                Callback.patient_id == patient_id, Callback.status == CallbackStatus.OPEN
            )
        )
    call = CallLog(
        callback_id=callback_id,
        appointment_id=appointment_id,
        patient_id=patient_id,
        outcome=outcome,
        advice=advice,
        by_id=actor.id,
        at=now,
    )
    db.session.add(call)
    db.session.flush()
    audit.record(
        "logged_call",
        actor_id=actor.id,
        object_type="call_log",
        object_id=call.id,
        patient_id=patient_id,
    )
    db.session.commit()
    return call


def close(
    callback_id: int, actor: User, outcome: CallbackOutcome, note: str, *, now: datetime
) -> Callback:
    """Closed with an outcome and a note; a closed callback stays closed, and an urgent one
    closes only once a call with the patient is on record."""
    begin_write(db.session)
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        db.session.rollback()
        raise LookupError(callback_id)
    if callback.status != CallbackStatus.OPEN:
        db.session.rollback()
        raise ActionRefused("This callback was already closed.")
    if callback.urgent and not db.session.scalar(
        select(exists().where(CallLog.callback_id == callback.id))
    ):
        db.session.rollback()
        raise ActionRefused(CLOSING_NEEDS_A_CALL)
    callback.status = CallbackStatus.CLOSED
    callback.closed_at = now
    callback.closed_by_id = actor.id
    callback.outcome = outcome
    callback.outcome_note = note
    audit.record(
        "closed_callback",
        actor_id=actor.id,
        object_type="callback",
        object_id=callback.id,
        patient_id=callback.patient_id,
    )
    db.session.commit()
    return callback


# --- the rule at confirming ---------------------------------------------------------------


def require_call_for_urgent(appointment: Appointment) -> None:
    """An urgent request is confirmed only after someone spoke, or tried to speak, with the
    patient: a call logged on it, or on the patient's callback, since it was made."""
    if not appointment.urgent:
        return
    called = db.session.scalar(
        select(exists().where(_about(appointment), CallLog.at >= appointment.created_at))
    )
    if not called:
        raise ActionRefused(URGENT_NEEDS_A_CALL)


def _about(appointment: Appointment):
    """Calls on this request, or on any callback of its patient (one closed since counts)."""
    return or_(
        CallLog.appointment_id == appointment.id,
        and_(CallLog.patient_id == appointment.patient_id, CallLog.callback_id.is_not(None)),
    )
