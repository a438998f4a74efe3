"""A therapist's weekly hours per location and time off, never silently dropping a booking."""

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import begin_write
from ..extensions import db
from ..models import HOLDING_STATUSES, Appointment, Provider, TimeOff, User, WorkingHours
from . import audit
from .feed import initials
from .schedule import ScheduleError


class HoursOverlap(ScheduleError):
    def __init__(self, blocks: list[WorkingHours]):
        super().__init__("That block overlaps hours you already work that day.")
        self.blocks = blocks


@dataclass(frozen=True)
class Hit:
    """A booked appointment a change would hit, as the refusal lists it: no clinical detail."""

    starts_at: datetime
    zone: str
    patient_initials: str
    type_name: str
    status: str


class WouldDropAppointments(ScheduleError):
    """The change would leave booked patients outside the therapist's time."""

    def __init__(self, message: str, appointments: list[Appointment]):
        super().__init__(message)
        # Plain values, read now: the rollback that follows expires the loaded rows.
        self.hits = [
            Hit(a.starts_at, a.location.timezone, initials(a.patient), a.type.name, a.status)
            for a in appointments
        ]


def on_grid(value: time, grid_minutes: int) -> bool:
    minutes = value.hour * 60 + value.minute
    return value.second == 0 and value.microsecond == 0 and minutes % grid_minutes == 0


# --- weekly hours ----------------------------------------------------------------------------


def hours_of(provider: Provider) -> list[WorkingHours]:
    """Blocks by location name, then weekday and start."""
    blocks = db.session.scalars(
        select(WorkingHours)
        .where(WorkingHours.provider_id == provider.id)
        .options(joinedload(WorkingHours.location))
    ).all()
    return sorted(blocks, key=lambda b: (b.location.name, b.weekday, b.starts))


def add_hours(
    provider: Provider,
    actor: User,
    location_id: int,
    weekday: int,
    starts: time,
    ends: time,
    *,
    grid_minutes: int,
) -> WorkingHours:
    """A weekly block of hours on the clinic's slot grid (INTAKE_SLOT_GRID_MINUTES)."""
    if location_id not in {loc.id for loc in provider.locations}:
        raise ScheduleError("Please choose one of the locations you work at.")
    if not 0 <= weekday <= 6:
        raise ScheduleError("Please choose a day of the week.")
    if not (on_grid(starts, grid_minutes) and on_grid(ends, grid_minutes)):
        step = "the quarter hour" if grid_minutes == 15 else f"a {grid_minutes}-minute step"
        raise ScheduleError(f"Hours start and end on {step}.")
    if starts >= ends:
        raise ScheduleError("The block must end after it starts.")
    begin_write(db.session, provider.id)  # the overlap check and the insert see the same hours
    same_day = db.session.scalars(
        select(WorkingHours)
        .where(WorkingHours.provider_id == provider.id, WorkingHours.weekday == weekday)
        .options(joinedload(WorkingHours.location))
    ).all()
    clashes = [b for b in same_day if b.starts < ends and starts < b.ends]
    if clashes:
        db.session.rollback()
        raise HoursOverlap(clashes)
    block = WorkingHours(
        provider_id=provider.id, location_id=location_id, weekday=weekday, starts=starts, ends=ends
    )
    db.session.add(block)
    db.session.flush()
    _audit("changed_hours", actor, "working_hours", block.id, provider.id)
    db.session.commit()
    return block


def remove_hours(provider: Provider, actor: User, block_id: int, now: datetime) -> None:
    """LookupError when the block is not theirs; WouldDropAppointments when booked patients
    fall inside it."""
    begin_write(db.session, provider.id)  # no booking can land in the block while we look
    block = db.session.scalars(
        select(WorkingHours)
        .where(WorkingHours.id == block_id, WorkingHours.provider_id == provider.id)
        .options(joinedload(WorkingHours.location))
    ).first()
    if block is None:
        db.session.rollback()
        raise LookupError(block_id)
    hit = appointments_in_block(block, now)
    if hit:
        refusal = WouldDropAppointments(
            "These booked appointments fall inside those hours. Move or cancel them first, "
            "then remove the hours.",
            hit,
        )
        db.session.rollback()
        raise refusal
    db.session.delete(block)
    _audit("changed_hours", actor, "working_hours", block_id, provider.id)
    db.session.commit()


def appointments_in_block(block: WorkingHours, now: datetime) -> list[Appointment]:
    """Future requested or confirmed appointments of the block's provider, place and weekday
    that overlap its hours in the location's wall-clock time."""
    tz = ZoneInfo(block.location.timezone)
    candidates = _holding(
        Appointment.provider_id == block.provider_id,
        Appointment.location_id == block.location_id,
        Appointment.ends_at > now,
    )
    hit = []
    for appointment in candidates:
        start = appointment.starts_at.astimezone(tz)
        end = appointment.ends_at.astimezone(tz)
        if start.weekday() != block.weekday:
            continue
        # A visit running past midnight counts up to the end of its day.
        end_clock = end.time() if end.date() == start.date() else time.max
        if start.time() < block.ends and block.starts < end_clock:
            hit.append(appointment)
    return hit


# --- time off --------------------------------------------------------------------------------


def local_to_utc(value: datetime, zone: str) -> datetime:
    """A wall-clock time as typed into a form; fold=0 takes the first of a repeated hour."""
    return value.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(ZoneInfo("UTC"))


def future_time_off(provider: Provider, now: datetime) -> list[TimeOff]:
    return list(
        db.session.scalars(
            select(TimeOff)
            .where(TimeOff.provider_id == provider.id, TimeOff.ends_at > now)
            .order_by(TimeOff.starts_at)
        )
    )


def add_time_off(
    provider: Provider,
    actor: User,
    starts_local: datetime,
    ends_local: datetime,
    reason: str = "",
    *,
    zone: str,
    now: datetime,
) -> TimeOff:
    """Wall-clock times in zone (the clinic's); refused when it would hit a booked patient."""
    starts_at, ends_at = local_to_utc(starts_local, zone), local_to_utc(ends_local, zone)
    if ends_at <= starts_at:
        raise ScheduleError("The time off must end after it starts.")
    if ends_at <= now:
        raise ScheduleError("That time has already passed.")
    begin_write(db.session, provider.id)  # no request can slip into the time while we look
    hit = _holding(
        Appointment.provider_id == provider.id,
        Appointment.starts_at < ends_at,
        Appointment.ends_at > starts_at,
    )
    if hit:
        refusal = WouldDropAppointments(
            "That time off overlaps booked appointments. Move or cancel them first.", hit
        )
        db.session.rollback()
        raise refusal
    off = TimeOff(
        provider_id=provider.id, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:200]
    )
    db.session.add(off)
    db.session.flush()
    _audit("changed_time_off", actor, "time_off", off.id, provider.id)
    db.session.commit()
    return off


def delete_time_off(provider: Provider, actor: User, time_off_id: int) -> None:
    begin_write(db.session, provider.id)
    off = db.session.scalars(
        select(TimeOff).where(TimeOff.id == time_off_id, TimeOff.provider_id == provider.id)
    ).first()
    if off is None:
        db.session.rollback()
        raise LookupError(time_off_id)
    db.session.delete(off)
    _audit("changed_time_off", actor, "time_off", time_off_id, provider.id)
    db.session.commit()


# --- helpers ---------------------------------------------------------------------------------


def _holding(*conditions) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.status.in_(HOLDING_STATUSES), *conditions)
            .options(
                joinedload(Appointment.patient),
                joinedload(Appointment.type),
                joinedload(Appointment.location),
            )
            .order_by(Appointment.starts_at)
        )
    )


def _audit(action: str, actor: User, object_type: str, object_id: int, provider_id: int) -> None:
    # Whose time it was: an admin may change any therapist's.
    audit.record(
        action,
        actor_id=actor.id,
        object_type=object_type,
        object_id=object_id,
        detail={"provider_id": provider_id},
    )
