"""The appointment export: visit facts for a date range, streamed in chunks, no health data."""

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from ..domain.availability import day_bounds
from ..extensions import db
from ..formatting import local_datetime, phone_display
from ..models import Appointment, AppointmentType, Intake, Location, Provider, User

EXPORT_COLUMNS = (
    "id",
    "starts",
    "ends",
    "status",
    "provider",
    "location",
    "type",
    "patient name",
    "patient email",
    "phone",
    "created",
)


def export_rows(first_day: date, last_day: date, zone: str, chunk: int = 500):
    """Appointments starting on the local days first_day..last_day, in start order, fetched
    `chunk` at a time (keyset paging, so no cursor stays open between chunks). Visit facts
    only: no intake answers, no screening."""
    intake = aliased(Intake)
    query = (
        select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.status,
            Provider.display_name,
            Location.name,
            Location.timezone,
            AppointmentType.name,
            User.first_name,
            User.last_name,
            User.email,
            intake.phone,
            Appointment.created_at,
        )
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(Location, Location.id == Appointment.location_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .join(User, User.id == Appointment.patient_id)
        .outerjoin(
            intake,
            and_(intake.patient_id == Appointment.patient_id, intake.superseded_at.is_(None)),
        )
        .where(
            Appointment.starts_at >= day_bounds(first_day, zone).start,
            Appointment.starts_at < day_bounds(last_day, zone).end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(chunk)
    )
    after = None
    while True:
        page = query
        if after is not None:
            page = query.where(
                or_(
                    Appointment.starts_at > after[0],
                    and_(Appointment.starts_at == after[0], Appointment.id > after[1]),
                )
            )
        rows = db.session.execute(page).all()
        for row in rows:
            (ident, starts, ends, status, provider, place, place_zone, kind) = row[:8]
            first, last, email, phone, created = row[8:]
            yield (
                ident,
                local_datetime(starts, place_zone).isoformat(timespec="minutes"),
                local_datetime(ends, place_zone).isoformat(timespec="minutes"),
                status,
                provider,
                place,
                kind,
                f"{first} {last}",
                email or "",
                phone_display(phone) if phone else "",
                local_datetime(created, zone).isoformat(timespec="minutes"),
            )
        if len(rows) < chunk:
            return
        after = (rows[-1][1], rows[-1][0])
