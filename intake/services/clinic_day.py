"""The clinic day calendar: one location, one day, a column per therapist. A handful of
queries whatever the number of visits; every look is audited, as it names patients."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain.availability import Interval, WeeklyHours, day_bounds, free_slots
from ..domain.calendar_grid import Booking, ColumnDay, Grid, build_grid
from ..extensions import db
from ..models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentType,
    Location,
    Provider,
    TimeOff,
    User,
    WorkingHours,
)
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit, forms_pending
from .free_times import staff_rules
from .queue import Flag, Tone
from .schedule import SHOWN, flags

FIRST_DAY, LAST_DAY = date(1970, 1, 2), date(2999, 12, 30)  # the links either side still work


@dataclass(frozen=True)
class Visit:
    appointment: Appointment
    flags: list[Flag]
    linked: bool  # the viewer may open this patient's request or record


@dataclass(frozen=True)
class ClinicDay:
    location: Location
    day: date
    grid: Grid
    providers: dict[int, Provider]  # the columns, by id
    visits: dict[int, Visit]  # by appointment id
    time_off: dict[int, list[TimeOff]]  # by provider id
    read_only: bool  # a therapist's view: no links to patients not their own
    # For the desk and admins: each therapist's starts where the shortest type of visit fits
    # (the availability engine's rule, staff notice), which link to booking a caller.
    free_starts: dict[int, frozenset[datetime]] | None = None

    def bookable(self, row, cell) -> bool:
        return self.free_starts is not None and row.start in self.free_starts.get(cell.column, ())

    @property
    def previous(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next(self) -> date:
        return self.day + timedelta(days=1)


def locations_for(viewer: User) -> list[Location]:
    """Desk and admins: every location; a therapist: those they work at."""
    query = select(Location).order_by(Location.name)
    if viewer.role == Role.THERAPIST:
        query = query.join(Location.providers).where(Provider.user_id == viewer.id)
    return list(db.session.scalars(query).unique())


def pick_day(asked: date | None, location: Location, now: datetime) -> date:
    """The day asked for, else today at the location."""
    if asked is not None and FIRST_DAY <= asked <= LAST_DAY:
        return asked
    return now.astimezone(ZoneInfo(location.timezone)).date()


FORMS_PENDING = Flag("Forms pending", Tone.WARN)


def clinic_day(
    viewer: User, location: Location, day: date, *, settings: ClinicSettings, now: datetime
) -> ClinicDay:
    """The day's grid at the location, its visits and time off. The look goes on record
    first: its commit forgets what was loaded, and the visits must not each load again."""
    audit.record(
        "viewed_calendar",
        actor_id=viewer.id,
        object_type="location",
        object_id=location.id,
        detail={"day": day.isoformat()},
        commit=True,
    )
    zone = location.timezone
    span = day_bounds(day, zone)
    hours = _hours(location, day)
    visits = _visits(location, span)
    providers = {block.provider_id: block.provider for block in hours}
    for appointment in visits:  # a visit outside anyone's hours still gets its column
        providers.setdefault(appointment.provider_id, appointment.provider)
    ordered = sorted(providers.values(), key=lambda p: (p.display_name, p.id))
    time_off = _time_off(list(providers), span)
    columns = [
        ColumnDay(
            provider.id,
            hours=[(b.starts, b.ends) for b in hours if b.provider_id == provider.id],
            time_off=[Interval(t.starts_at, t.ends_at) for t in time_off.get(provider.id, [])],
            bookings=[
                Booking(a.id, a.starts_at, a.ends_at)
                for a in visits
                if a.provider_id == provider.id
            ],
        )
        for provider in ordered
    ]
    grid = build_grid(day, zone, timedelta(minutes=settings.slot_grid_minutes), columns)
    read_only = viewer.role == Role.THERAPIST
    pending = forms_pending.pending_ids(visits, settings=settings, now=now)
    shown = {
        a.id: Visit(
            a,
            flags(a) + ([FORMS_PENDING] if a.id in pending else []),
            not read_only or a.provider.user_id == viewer.id,
        )
        for a in visits
    }
    free = None
    if viewer.role in (Role.FRONT_DESK, Role.ADMIN):
        free = _free_starts(columns, visits, zone, day, settings=settings, now=now)
    return ClinicDay(
        location, day, grid, {p.id: p for p in ordered}, shown, time_off, read_only, free
    )


def _free_starts(columns, visits, zone, day, *, settings, now) -> dict[int, frozenset[datetime]]:
    """From what the page loaded (and one read of the types): where the shortest visit fits."""
    kinds = db.session.scalars(select(AppointmentType).where(AppointmentType.active)).all()
    if not kinds:
        return {}
    rules = staff_rules(
        min(kinds, key=lambda k: (k.duration_minutes + k.buffer_after_minutes, k.id)), settings
    )
    held: dict[int, list[Interval]] = {}
    for a in visits:
        if a.status in HOLDING_STATUSES:
            held.setdefault(a.provider_id, []).append(Interval(a.starts_at, a.blocks_until))
    return {
        column.key: frozenset(
            free_slots(
                zone=zone,
                first_day=day,
                last_day=day,
                hours=[WeeklyHours(day.weekday(), s, e) for s, e in column.hours],
                busy=held.get(column.key, []),
                time_off=column.time_off,
                rules=rules,
                now=now,
            )
        )
        for column in columns
    }


def _hours(location: Location, day: date) -> list[WorkingHours]:
    """The day's blocks at the location, of therapists whose accounts are active."""
    return list(
        db.session.scalars(
            select(WorkingHours)
            .join(WorkingHours.provider)
            .join(Provider.user)
            .where(
                WorkingHours.location_id == location.id,
                WorkingHours.weekday == day.weekday(),
                User.active.is_(True),
            )
            .options(joinedload(WorkingHours.provider))
            .order_by(WorkingHours.starts)
        )
    )


def _visits(location: Location, span: Interval) -> list[Appointment]:
    """Visits starting that day at the location (cancelled and declined ones free the time)."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.location_id == location.id,
                Appointment.status.in_(SHOWN),
                Appointment.starts_at >= span.start,
                Appointment.starts_at < span.end,
            )
            .options(
                joinedload(Appointment.patient),
                joinedload(Appointment.type),
                joinedload(Appointment.provider),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def _time_off(provider_ids: list[int], span: Interval) -> dict[int, list[TimeOff]]:
    if not provider_ids:
        return {}
    found: dict[int, list[TimeOff]] = {}
    for block in db.session.scalars(
        select(TimeOff)
        .where(
            TimeOff.provider_id.in_(provider_ids),
            TimeOff.starts_at < span.end,
            TimeOff.ends_at > span.start,
        )
        .order_by(TimeOff.starts_at)
    ):
        found.setdefault(block.provider_id, []).append(block)
    return found
