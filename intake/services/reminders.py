"""Appointment reminders: one per confirmed appointment, however many workers queue them."""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..database import SQLITE_BEGIN
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Provider
from .notifications import notify


def queue_reminders(now: datetime | None = None) -> int:
    """Queue a reminder for each confirmed appointment starting within INTAKE_REMINDER_HOURS
    that has not had one, and return how many. Call it with no transaction open."""
    now = now or datetime.now(UTC)
    horizon = now + timedelta(hours=current_app.config["INTAKE_REMINDER_HOURS"])
    # SQLite: take the write lock before reading, so a second run waits and then finds none.
    # PostgreSQL: lock the rows; a concurrent run skips them and re-checks reminder_sent_at.
    db.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    due = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at > now,
            Appointment.starts_at <= horizon,
            Appointment.reminder_sent_at.is_(None),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .options(
            selectinload(Appointment.patient),
            selectinload(Appointment.provider).selectinload(Provider.user),
            selectinload(Appointment.location),
            selectinload(Appointment.type),
        )
        .with_for_update(skip_locked=True, of=Appointment)
    ).all()
    for appointment in due:
        notify(appointment, "reminder")
    if due:
        # A table-level UPDATE: a reminder is no change to the visit, so its revision (the
        # ORM's version counter, which staff pages carry) stays as the front desk saw it.
        db.session.execute(
            update(Appointment.__table__)
            .where(Appointment.__table__.c.id.in_([a.id for a in due]))
            .values(reminder_sent_at=now)
        )
    db.session.commit()
    return len(due)
