"""Appointment reminders: one per confirmed appointment, however many workers queue them."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..database import SQLITE_BEGIN
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Provider
from ..settings import ClinicSettings
from .notifications import notify


def queue_reminders(now: datetime, settings: ClinicSettings) -> int:
    """Queue a reminder for each confirmed appointment starting within the reminder lead
    that has not had one, and return how many. Call it with no transaction open."""
    horizon = now + settings.reminder_lead
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
        notify(appointment, "reminder", settings=settings, stamped_at=now)
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
