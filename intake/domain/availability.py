"""Which appointment starts a provider still has free at one location."""

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WeeklyHours:
    """A weekly working block in the location's wall-clock time."""

    weekday: int  # Monday=0 .. Sunday=6, as date.weekday()
    starts: time
    ends: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if self.starts >= self.ends:
            raise ValueError("a working block must end after it starts")


@dataclass(frozen=True)
class Interval:
    """A half-open span [start, end) between two aware instants."""

    start: datetime
    end: datetime

    def overlaps(self, other: "Interval") -> bool:
        # Half-open, so an appointment may start the very instant the previous one ends.
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class SlotRules:
    duration: timedelta
    buffer_after: timedelta = timedelta(0)  # cleaning the room, notes: blocks the next patient
    grid: timedelta = timedelta(minutes=15)
    notice: timedelta = timedelta(hours=24)  # the earliest bookable start, counted from now
    horizon: timedelta = timedelta(days=60)  # the latest bookable start, counted from now

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0) or self.grid <= timedelta(0):
            raise ValueError("duration and grid must be positive")
        if self.buffer_after < timedelta(0):
            raise ValueError("buffer_after cannot be negative")


def free_slots(
    *,
    zone: str,
    first_day: date,
    last_day: date,
    hours: Sequence[WeeklyHours],
    busy: Sequence[Interval],
    time_off: Sequence[Interval],
    rules: SlotRules,
    now: datetime,
) -> list[datetime]:
    """Free starts (sorted, unique, UTC) on the local dates first_day..last_day inclusive."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    _require_aware(now)
    for interval in (*busy, *time_off):
        _require_aware(interval.start, interval.end)
        if interval.end <= interval.start:
            raise ValueError(f"interval does not end after it starts: {interval}")

    # The buffer keeps the next patient waiting, but a provider's own time off only has to
    # begin once the treatment itself is over.
    lows, highs = _merge(
        [_blocked_starts(iv, rules.duration + rules.buffer_after) for iv in busy]
        + [_blocked_starts(iv, rules.duration) for iv in time_off]
    )
    earliest, latest = now + rules.notice, now + rules.horizon
    tz = ZoneInfo(zone)
    found: set[datetime] = set()
    day = first_day
    while day <= last_day:
        for block in hours:
            if block.weekday != day.weekday():
                continue
            start, end = _instant(day, block.starts, tz), _instant(day, block.ends, tz)
            if start < earliest:  # jump to the first grid point past the notice period
                start += -((start - earliest) // rules.grid) * rules.grid
            # UTC arithmetic steps through real time: no slot in a spring-forward gap, and
            # the repeated autumn hour yields distinct instants.
            slot = start
            while slot + rules.duration <= end and slot <= latest:
                if not _is_blocked(slot, lows, highs):
                    found.add(slot)
                slot += rules.grid
        day += ONE_DAY
    return sorted(found)


def day_bounds(day: date, zone: str) -> Interval:
    """The UTC instants of local midnight to the next local midnight (23 or 25 h on DST days)."""
    tz = ZoneInfo(zone)
    return Interval(_instant(day, time(0), tz), _instant(day + ONE_DAY, time(0), tz))


def group_by_day(slots: Iterable[datetime], zone: str) -> dict[date, list[datetime]]:
    """Slots keyed by their local date, days and slots in order."""
    slots = list(slots)
    _require_aware(*slots)
    tz = ZoneInfo(zone)
    days: dict[date, list[datetime]] = {}
    for slot in sorted(slots):
        days.setdefault(slot.astimezone(tz).date(), []).append(slot)
    return days


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    # fold=0 takes the first of an ambiguous wall time; a wall time inside a spring-forward
    # gap keeps the pre-gap offset, so the round trip lands that far past the gap.
    return datetime.combine(day, wall, tzinfo=tz).replace(fold=0).astimezone(UTC)


def _blocked_starts(interval: Interval, length: timedelta) -> tuple[datetime, datetime]:
    # [s, s + length) overlaps [a, b) exactly when a - length < s < b: an open range of starts.
    return interval.start.astimezone(UTC) - length, interval.end.astimezone(UTC)


def _merge(ranges: list[tuple[datetime, datetime]]) -> tuple[list[datetime], list[datetime]]:
    """Sorted, disjoint open ranges as parallel lists of lows and highs, ready for bisect."""
    lows: list[datetime] = []
    highs: list[datetime] = []
    for low, high in sorted(ranges):
        # Ranges that only touch stay apart: their shared endpoint is a free start.
        if highs and low < highs[-1]:
            highs[-1] = max(highs[-1], high)
        else:
            lows.append(low)
            highs.append(high)
    return lows, highs


def _is_blocked(slot: datetime, lows: list[datetime], highs: list[datetime]) -> bool:
    i = bisect_left(lows, slot)  # lows[i - 1] is the last range opening strictly before slot
    return i > 0 and slot < highs[i - 1]


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime: {moment!r}")
