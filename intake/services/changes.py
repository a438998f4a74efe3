"""Staff changes to an appointment, applied once even when two people act at the same time."""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import selectinload

from ..database import begin_write, in_write
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Provider, User, utcnow
from ..settings import current_settings  # TODO lead: settings come in as an argument
from . import audit, notifications
from .free_times import BookingError
from .history import appointment_history


class ChangedMeanwhile(BookingError):
    """Someone else changed the appointment after this page was loaded."""

    def __init__(self, appointment: Appointment | None):
        super().__init__(
            "Someone else changed this request while you were looking at it. "
            "Here it is as it stands now; nothing you did was applied."
        )
        self.appointment = appointment


def load(appointment_id: int) -> Appointment | None:
    return db.session.scalars(
        db.select(Appointment)
        .where(Appointment.id == appointment_id)
        .options(
            selectinload(Appointment.patient),
            selectinload(Appointment.location),
            selectinload(Appointment.type),
            selectinload(Appointment.provider).selectinload(Provider.user),
        )
    ).first()


def claim(
    appointment_id: int,
    seen_revision: int,
    allowed_from: tuple[str, ...],
    changes: dict,
    now: datetime,
) -> Appointment:
    """Apply `changes` only if nobody changed the row since `seen_revision` and its status
    is one of `allowed_from`; bumps the revision. Starts its own write transaction unless the
    caller already opened one (to hold a provider's lock across its checks).

    A bulk UPDATE, not the ORM's versioned one: the WHERE on the seen revision is the check,
    and the revision is bumped here by hand (version_id_col only guards ORM flushes)."""
    if not in_write(db.session):
        begin_write(db.session)
    result = db.session.execute(
        update(Appointment)
        .where(
            Appointment.id == appointment_id,
            Appointment.revision == seen_revision,
            Appointment.status.in_(allowed_from),
        )
        .values(**changes, revision=Appointment.revision + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ChangedMeanwhile(load(appointment_id))
    appointment = load(appointment_id)
    db.session.refresh(appointment)
    return appointment


def change_status(
    appointment_id: int,
    seen_revision: int,
    to_status: AppointmentStatus,
    actor: User,
    *,
    allowed_from: tuple[str, ...],
    action: str,
    detail: str = "",
    notify: str | None = None,
    extra: dict | None = None,
    now: datetime | None = None,
) -> Appointment:
    """One staff action: the change, its history line, the patient's email and the audit
    row, committed together."""
    now = now or utcnow()
    before = db.session.get(Appointment, appointment_id)
    from_status = before.status if before else None
    appointment = claim(
        appointment_id, seen_revision, allowed_from, {"status": to_status, **(extra or {})}, now
    )
    appointment_history(appointment, actor, action, from_status, to_status, now, detail)
    if notify:
        settings = current_settings()  # TODO lead: take settings as an argument
        notifications.notify(appointment, notify, detail, settings=settings, stamped_at=now)
    audit.record(
        "status_changed",
        actor_id=actor.id,
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
    )
    db.session.commit()
    return appointment
