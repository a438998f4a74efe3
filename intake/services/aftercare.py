"""After a needling visit: the aftercare email at completion, the check-in a day later, and
its answers, which reach the therapist's record or, when alarming, an urgent callback."""

from collections.abc import Callable
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..database import SQLITE_BEGIN, begin_write
from ..domain.aftercare import (
    EMERGENCY_ACTION,
    NORMAL_AFTER_EFFECTS,
    WARNING_SIGNS,
    WHAT_HELPS,
    CheckInAnswers,
    check_in_due,
    is_alarming,
    still_worth_sending,
)
from ..extensions import db
from ..formatting import long_date, phone_display
from ..models import Appointment, CheckIn
from ..settings import ClinicSettings
from . import callbacks, outbox

_SALT = "check-in"


class AlreadyAnswered(Exception):
    """A check-in is answered once; the record keeps the first answers."""


def start(appointment: Appointment, *, settings: ClinicSettings, now: datetime) -> None:
    """At completion, in its transaction: the aftercare email and the check-in to send later.
    One per visit: a visit is completed once, and check_ins.appointment_id is unique. A
    patient with no email on file gets neither: the therapist gives aftercare in person."""
    patient = appointment.patient
    if not patient.email:
        return
    db.session.add(
        CheckIn(
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            created_at=now,
            due_at=check_in_due(now, settings.check_in_delay),
        )
    )
    patient = appointment.patient
    if not patient.email:  # booked by phone without an email: the desk tells them
        return
    outbox.queue(
        [
            {
                "kind": "aftercare",
                "recipient": patient.email,
                "subject": "After your dry needling visit: what to expect",
                "body": _aftercare_body(
                    patient.first_name, settings.visit_link(appointment.id), settings
                ),
                "appointment_id": appointment.id,
                "created_at": now,
                "next_attempt_at": now,
            }
        ],
    )


def queue_check_ins(
    now: datetime, settings: ClinicSettings, make_link: Callable[[str], str]
) -> int:
    """Queue each check-in that is due and not yet sent; return how many. Call it with no
    transaction open: like reminders, a second worker waits (SQLite) or skips the locked rows
    (PostgreSQL) and then finds them sent."""
    db.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    due = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.sent_at.is_(None), CheckIn.due_at <= now)
        .where(CheckIn.due_at > now - settings.check_in_link_life)
        .order_by(CheckIn.due_at, CheckIn.id)
        .options(selectinload(CheckIn.patient))
        .with_for_update(skip_locked=True, of=CheckIn)
    ).all()
    due = [c for c in due if still_worth_sending(c.due_at, now, settings.check_in_link_life)]
    # Nowhere to send it (the email was removed since): marked sent, never queued.
    unsendable = [c for c in due if not c.patient.email]
    due = [c for c in due if c.patient.email]
    if unsendable:
        db.session.execute(
            update(CheckIn).where(CheckIn.id.in_([c.id for c in unsendable])).values(sent_at=now)
        )
    if due:
        outbox.queue(
            [
                {
                    "kind": "check_in",
                    "recipient": check_in.patient.email,
                    "subject": "How are you feeling after your visit?",
                    "body": _check_in_body(
                        check_in.patient.first_name,
                        make_link(check_in_token(check_in, settings)),
                        settings,
                    ),
                    "appointment_id": check_in.appointment_id,
                    "created_at": now,
                    "next_attempt_at": now,
                }
                for check_in in due
            ],
        )
        db.session.execute(
            update(CheckIn).where(CheckIn.id.in_([c.id for c in due])).values(sent_at=now)
        )
    db.session.commit()
    return len(due)


def check_in_token(check_in: CheckIn, settings: ClinicSettings) -> str:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT).dumps(check_in.id)


def check_in_for_token(token: str, settings: ClinicSettings) -> CheckIn | None:
    """The check-in a link was made for, while the link is valid; None for anything else."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=_SALT)
    try:
        check_in_id = serializer.loads(
            token[:200], max_age=int(settings.check_in_link_life.total_seconds())
        )
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(check_in_id, int) or isinstance(check_in_id, bool):
        return None
    return _load(check_in_id)


def own_check_in(patient_id: int, appointment_id: int) -> CheckIn | None:
    """A signed-in patient's check-in for one of their visits, once it has been sent."""
    check_in = db.session.scalars(
        select(CheckIn).where(
            CheckIn.appointment_id == appointment_id, CheckIn.patient_id == patient_id
        )
    ).first()
    return _load(check_in.id) if check_in is not None and check_in.sent_at else None


def _load(check_in_id: int) -> CheckIn | None:
    return db.session.scalars(
        select(CheckIn)
        .where(CheckIn.id == check_in_id)
        .execution_options(populate_existing=True)
        .options(
            selectinload(CheckIn.appointment).selectinload(Appointment.provider),
            selectinload(CheckIn.appointment).selectinload(Appointment.location),
        )
    ).first()


def answer(
    check_in_id: int,
    answers: CheckInAnswers,
    *,
    settings: ClinicSettings,
    now: datetime,
    task_link: Callable[[int], str] | None = None,
) -> CheckIn:
    """Store the answers once. Breathing or chest symptoms open an urgent callback in the same
    transaction, so a person at the clinic acts on them, whatever the patient does next."""
    begin_write(db.session)
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None:
        db.session.rollback()
        raise LookupError(check_in_id)
    alarming = is_alarming(answers)
    # Only the first answers count: a second submit (another tab, a replayed link) finds the
    # row answered and changes nothing.
    stored = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in_id, CheckIn.answered_at.is_(None))
        .values(
            answered_at=now,
            soreness=answers.soreness,
            bruising=answers.bruising,
            dizziness=answers.dizziness,
            short_of_breath=answers.short_of_breath,
            chest_pain=answers.chest_pain,
            dry_cough=answers.dry_cough,
            comments=answers.comments[:1000],
            alarming=alarming,
        )
    )
    if stored.rowcount != 1:
        db.session.rollback()
        raise AlreadyAnswered
    if alarming:
        callbacks.open_for_check_in(check_in, answers, now, settings=settings, task_link=task_link)
    db.session.commit()
    return _load(check_in_id)


def check_ins_of(appointment_ids: list[int]) -> dict[int, CheckIn]:
    """Answered check-ins by visit, for the record and the therapist's day (one query)."""
    if not appointment_ids:
        return {}
    rows = db.session.scalars(
        select(CheckIn).where(
            CheckIn.appointment_id.in_(appointment_ids), CheckIn.answered_at.is_not(None)
        )
    )
    return {row.appointment_id: row for row in rows}


def answered_check_ins(patient_id: int, limit: int = 20) -> list[CheckIn]:
    """A patient's answered check-ins, newest first, with their visits (bounded queries)."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.patient_id == patient_id, CheckIn.answered_at.is_not(None))
            .order_by(CheckIn.answered_at.desc(), CheckIn.id.desc())
            .limit(limit)
            .options(
                selectinload(CheckIn.appointment).selectinload(Appointment.provider),
                selectinload(CheckIn.appointment).selectinload(Appointment.type),
            )
        )
    )


def _bullets(lines) -> list[str]:
    return [f"- {line}" for line in lines]


def _warning_block(settings: ClinicSettings) -> list[str]:
    return [
        "Get help at once if, in the hours or days after your visit:",
        *_bullets(WARNING_SIGNS),
        "",
        EMERGENCY_ACTION,
        f"Our number: {phone_display(settings.clinic_phone)}.",
    ]


def _aftercare_body(first_name: str, visit_link: str, settings: ClinicSettings) -> str:
    lines = [
        f"Hello {first_name},",
        "",
        "Thank you for coming in today. Here is what to expect after dry needling.",
        "",
        "Normal, and nothing to worry about:",
        *_bullets(NORMAL_AFTER_EFFECTS),
        "",
        "What helps:",
        *_bullets(WHAT_HELPS),
        "",
        *_warning_block(settings),
        "",
        "Tomorrow we will email you a few short questions about how you feel.",
        *(["", "Your visit:", visit_link] if visit_link else []),
        "",
        settings.clinic_name,
    ]
    return "\n".join(lines) + "\n"


def _check_in_body(first_name: str, link: str, settings: ClinicSettings) -> str:
    # The email names no symptom the patient reported: it only asks and links.
    days = settings.check_in_link_life.days
    lines = [
        f"Hello {first_name},",
        "",
        "How are you feeling since your dry needling visit? Six short questions tell your",
        "therapist how it went:",
        "",
        link,
        "",
        f"The link works for {days} days. You can also answer from your account.",
        "",
        *_warning_block(settings),
        "",
        settings.clinic_name,
    ]
    return "\n".join(lines) + "\n"


def visit_words(check_in: CheckIn) -> str:
    appointment = check_in.appointment
    return f"{long_date(appointment.starts_at)} with {appointment.provider.display_name}"
