"""Saving a patient's intake as a new version and reading the current one."""

from collections.abc import Callable
from datetime import date, datetime
from functools import cache

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.screening import ScreeningResult, screen
from ..extensions import db
from ..models import HOLDING_STATUSES, Appointment, AppointmentEvent, Intake, User, utcnow
from ..settings import ClinicSettings
from . import callbacks

# Fields that are not answers: the token and the buttons.
_NOT_ANSWERS = {"csrf_token", "submit"}


def current_intake(patient_id: int) -> Intake | None:
    return db.session.scalars(_current_intake_query(), {"patient_id": patient_id}).first()


@cache  # built once: building and keying it cost more than running it
def _current_intake_query() -> Select:
    return select(Intake).where(*_current_of_patient())


def current_screening(patient_id: int) -> tuple[int, ScreeningResult] | None:
    """The current intake's id and screening, without its answers: what booking reads."""
    row = db.session.execute(_current_screening_query(), {"patient_id": patient_id}).first()
    return (row.id, ScreeningResult.from_dict(row.screening)) if row else None


@cache
def _current_screening_query() -> Select:
    return select(Intake.id, Intake.screening).where(*_current_of_patient())


def _current_of_patient() -> tuple:
    """The patient's current intake (of the one bound as `patient_id`): not superseded."""
    return Intake.patient_id == bindparam("patient_id"), Intake.superseded_at.is_(None)


def intake_history(patient_id: int) -> list[Intake]:
    return list(
        db.session.scalars(
            select(Intake).where(Intake.patient_id == patient_id).order_by(Intake.version.desc())
        )
    )


def answers_from_form(data: dict, e164: dict[str, str]) -> dict:
    """JSON-ready answers: dates as ISO text, phones in E.164."""
    answers = {}
    for key, value in data.items():
        if key in _NOT_ANSWERS:
            continue
        answers[key] = value.isoformat() if isinstance(value, date) else value
    answers.update(e164)
    return answers


def form_data_from_answers(answers: dict) -> dict:
    data = dict(answers)
    if data.get("born_on"):
        data["born_on"] = date.fromisoformat(data["born_on"])
    return data


def save_intake(
    patient: User,
    answers: dict,
    now: datetime | None = None,
    *,
    settings: ClinicSettings | None = None,
    task_link: Callable[[int], str] | None = None,
) -> Intake:
    """A new current version; the previous one is kept, marked superseded. Two saves at once
    (a double click) both land, one after the other, instead of failing. Answers that need a
    call open the patient's callback in the same commit (and, given settings and a link to
    the task, email the front desk)."""
    now = now or utcnow()
    for attempt in (1, 2):
        try:
            return _add_version(patient, answers, now, settings, task_link)
        except IntegrityError:
            db.session.rollback()  # the other save took the version: build on top of it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _add_version(
    patient: User,
    answers: dict,
    now: datetime,
    settings: ClinicSettings | None,
    task_link: Callable[[int], str] | None,
) -> Intake:
    patient_id = patient.id
    previous = current_intake(patient_id)
    if previous is not None:
        previous.superseded_at = now
        db.session.flush()  # free the "one current intake" slot before taking it
    result = screen(answers)
    intake = Intake(
        patient_id=patient_id,
        version=(previous.version + 1) if previous else 1,
        legal_first_name=answers["legal_first_name"].strip(),
        legal_last_name=answers["legal_last_name"].strip(),
        born_on=date.fromisoformat(answers["born_on"]),
        phone=answers["phone"],
        answers=answers,
        screening=result.to_dict(),
        screening_level=result.highest_level,
        created_at=now,
    )
    db.session.add(intake)
    # The account carries the contact details the front desk searches by.
    account = db.session.get(User, patient_id)
    account.phone, account.born_on = intake.phone, intake.born_on
    db.session.flush()
    _screen_visits_booked_without_it(patient_id, intake, result, now)
    callbacks.open_for_screening(patient, intake, now, settings=settings, task_link=task_link)
    db.session.commit()
    return intake


def _screen_visits_booked_without_it(
    patient_id: int, intake: Intake, result: ScreeningResult, now: datetime
) -> None:
    """Visits the desk booked before the patient's intake existed (forms pending) take its
    screening now, as a request would have at booking: precautions put the visit in the
    therapist's review, a red flag marks it urgent; each gets a history line."""
    ids = db.session.scalars(
        select(Appointment.id).where(
            Appointment.patient_id == patient_id,
            Appointment.intake_id.is_(None),
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.starts_at > now,
        )
    ).all()
    if not ids:
        return
    db.session.execute(
        update(Appointment)
        .where(Appointment.id.in_(ids))
        .values(
            intake_id=intake.id,
            screening_snapshot=result.to_dict(),
            needs_review=result.needs_therapist_review,
            urgent=result.urgent,
            updated_at=now,
            revision=Appointment.revision + 1,  # a page showing the visit before is stale
        )
        .execution_options(synchronize_session=False)
    )
    detail = "The patient's intake arrived; its screening is recorded on this visit"
    if result.needs_therapist_review:
        detail += ": precautions need a therapist's review"
    db.session.execute(
        insert(AppointmentEvent),
        [
            dict(
                appointment_id=i,
                actor_id=patient_id,
                action="intake_received",
                detail=detail,
                at=now,
            )
            for i in ids
        ],
    )


def screening_of(intake: Intake) -> ScreeningResult:
    return ScreeningResult.from_dict(intake.screening)


def changed_answers(older: dict, newer: dict) -> dict[str, tuple]:
    """What a patient changed between two versions: key -> (before, after)."""
    keys = older.keys() | newer.keys()
    return {k: (older.get(k), newer.get(k)) for k in sorted(keys) if older.get(k) != newer.get(k)}
