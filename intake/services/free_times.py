"""Free times: which starts a provider has at a place for a type, and whether one is free."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, Select, bindparam, false, select, true, union_all
from sqlalchemy.orm import contains_eager, joinedload

from ..domain.availability import Interval, SlotRules, WeeklyHours, day_bounds, free_slots
from ..extensions import db
from ..models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentType,
    Location,
    Provider,
    TimeOff,
    WorkingHours,
)
from ..settings import ClinicSettings
from .directory import listed
from .errors import BookingError, SlotTaken
from .public_cache import active_types_query

# Staff book by phone and move visits: the provider's hours bind them, the patients' online
# notice period and booking horizon do not (ten years is no limit in practice).
STAFF_HORIZON = timedelta(days=10 * 366)


@dataclass(frozen=True)
class SlotChoice:
    """Who, where and what. Rows from the database, or for the slot page and an online
    request the public directory's snapshots of them (services/public_cache.py: the same
    attributes)."""

    provider: Provider
    location: Location
    type: AppointmentType


def active_types() -> list[AppointmentType]:
    return list(db.session.scalars(active_types_query()))


def provider_by_slug(slug: str) -> Provider | None:
    """A listed provider with their locations and account, in one query."""
    return db.session.scalars(_provider_by_slug_query(), {"slug": slug[:80]}).unique().first()


@cache  # built once: every booking runs it
def _provider_by_slug_query() -> Select:
    return (
        listed()
        .where(Provider.slug == bindparam("slug"))
        .options(joinedload(Provider.locations), contains_eager(Provider.user))
    )


def resolve_choice(provider: Provider, location_id, type_id, types=None) -> SlotChoice:
    """The provider's location and an active type (of `types` when the caller holds them),
    or BookingError for anything tampered."""
    location = next((loc for loc in provider.locations if str(loc.id) == str(location_id)), None)
    if location is None:
        raise BookingError(f"{provider.display_name} does not see patients at that location.")
    kind = next((t for t in types or active_types() if str(t.id) == str(type_id)), None)
    if kind is None:
        raise BookingError("Please choose one of the appointment types we offer.")
    return SlotChoice(provider, location, kind)


def rules_for(kind: AppointmentType, settings: ClinicSettings) -> SlotRules:
    """The rules a patient booking online is held to."""
    return SlotRules(
        duration=timedelta(minutes=kind.duration_minutes),
        buffer_after=timedelta(minutes=kind.buffer_after_minutes),
        grid=timedelta(minutes=settings.slot_grid_minutes),
        notice=settings.booking_notice,
        horizon=timedelta(days=settings.booking_horizon_days),
    )


def staff_rules(kind: AppointmentType, settings: ClinicSettings) -> SlotRules:
    return replace(rules_for(kind, settings), notice=timedelta(0), horizon=STAFF_HORIZON)


def slots_between(
    choice: SlotChoice,
    first_day: date,
    last_day: date,
    now: datetime,
    rules: SlotRules,
    ignore: int | None = None,
    bookings: bool = True,
    hours: list[WeeklyHours] | None = None,
) -> list[datetime]:
    """Free starts for the local days first_day..last_day; two queries whatever the data.
    `ignore` leaves one appointment out (the one being moved); `bookings=False` leaves out
    every appointment, to tell a taken time from one that was never offered. `hours`: the
    provider's weekly hours at the location when the caller holds them (one query fewer)."""
    zone = choice.location.timezone
    span = Interval(day_bounds(first_day, zone).start, day_bounds(last_day, zone).end)
    where = {
        "provider_id": choice.provider.id,
        "location_id": choice.location.id,
        "span_start": span.start,
        "span_end": span.end,
        # No visit lasts a day: a lower bound keeps the index scan to the range.
        "earliest_start": span.start - timedelta(days=1),
        "ignored_id": ignore or 0,
    }
    statements = _span_queries()
    if hours is None:
        hours = [WeeklyHours(*row) for row in db.session.execute(statements.hours, where)]
    # A provider is busy wherever they are booked, at any location.
    busy, time_off = [], []
    if bookings:  # bookings and time off in one statement, each row saying which it is
        for booked, starts, ends in db.session.execute(statements.blocked, where):
            (busy if booked else time_off).append(Interval(starts, ends))
    else:
        time_off = [Interval(*row) for row in db.session.execute(statements.time_off, where)]
    return free_slots(
        zone=zone,
        first_day=first_day,
        last_day=last_day,
        hours=hours,
        busy=busy,
        time_off=time_off,
        rules=rules,
        now=now,
    )


@dataclass(frozen=True)
class _SpanQueries:
    hours: Select
    blocked: CompoundSelect  # (booked, starts, ends): bookings, then time off
    time_off: Select


@cache  # built once: building and keying them cost about as much as running them
def _span_queries() -> _SpanQueries:
    provider_id, span_start, span_end = (
        bindparam(name) for name in ("provider_id", "span_start", "span_end")
    )
    busy = select(true(), Appointment.starts_at, Appointment.blocks_until).where(
        Appointment.provider_id == provider_id,
        Appointment.status.in_(HOLDING_STATUSES),
        Appointment.starts_at < span_end,
        Appointment.starts_at > bindparam("earliest_start"),
        Appointment.blocks_until > span_start,
        Appointment.id != bindparam("ignored_id"),
    )
    off = (
        TimeOff.provider_id == provider_id,
        TimeOff.starts_at < span_end,
        TimeOff.ends_at > span_start,
    )
    return _SpanQueries(
        hours=select(WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends).where(
            WorkingHours.provider_id == provider_id,
            WorkingHours.location_id == bindparam("location_id"),
        ),
        blocked=union_all(busy, select(false(), TimeOff.starts_at, TimeOff.ends_at).where(*off)),
        time_off=select(TimeOff.starts_at, TimeOff.ends_at).where(*off),
    )


def next_free(
    choice: SlotChoice, after: datetime, now: datetime, rules: SlotRules, count: int = 5
) -> list[datetime]:
    local_day = after.astimezone(_zone(choice)).date()
    slots = slots_between(choice, local_day, local_day + timedelta(days=13), now, rules)
    return [s for s in slots if s > after][:count]


def _zone(choice: SlotChoice) -> ZoneInfo:
    return ZoneInfo(choice.location.timezone)


def require_zone(starts_at: datetime) -> None:
    if starts_at.tzinfo is None:
        raise BookingError("Please choose one of the times shown.")


def check_free(
    choice: SlotChoice, starts_at: datetime, now: datetime, rules: SlotRules, ignore=None
) -> None:
    require_zone(starts_at)
    day = starts_at.astimezone(_zone(choice)).date()
    if starts_at in slots_between(choice, day, day, now, rules, ignore=ignore):
        return
    if starts_at in slots_between(choice, day, day, now, rules, bookings=False):
        raise taken(choice, starts_at, now, rules)
    raise BookingError(
        "That time is not available to book online. Please choose one of the times shown."
    )


def taken(choice: SlotChoice, starts_at: datetime, now: datetime, rules: SlotRules) -> SlotTaken:
    """The refusal for a time someone else holds, with the next free ones instead."""
    return SlotTaken(
        "That time was just taken by someone else.", next_free(choice, starts_at, now, rules)
    )
