"""The clinic's working hours (weekdays 8:00-18:00 on its wall clock) and time waited in them."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessHours:
    """When someone is at the front desk to make a call: the same hours every working day."""

    opens: time = time(8)
    closes: time = time(18)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday is 0, as datetime.weekday()


CLINIC_HOURS = BusinessHours()


def working_time_between(
    start: datetime, end: datetime, zone: str, hours: BusinessHours = CLINIC_HOURS
) -> timedelta:
    """The part of [start, end) that falls in working hours. Each day's opening and closing
    are that day's wall-clock times in the zone, so a day when the clocks change still has
    ten working hours, and a night's shift of the clocks changes nothing."""
    spans = _working_spans(start, end, zone, hours)
    return sum((ends - begins for begins, ends in spans), timedelta(0))


def _working_spans(start: datetime, end: datetime | None, zone: str, hours: BusinessHours):
    """Each day's working time from `start`, as (begins, ends), day by day: up to `end`, or
    on and on when `end` is None."""
    local = ZoneInfo(zone)
    day = start.astimezone(local).date()
    last = None if end is None else end.astimezone(local).date()
    while last is None or day <= last:
        if day.weekday() in hours.weekdays:
            opens, closes = _open_on(day, hours, local)
            begins, ends = max(start, opens), closes if end is None else min(end, closes)
            if ends > begins:
                yield begins, ends
        day += timedelta(days=1)


@lru_cache(maxsize=1024)  # the queue asks for the same few days for each urgent row
def _open_on(day: date, hours: BusinessHours, zone: ZoneInfo) -> tuple[datetime, datetime]:
    opens = datetime.combine(day, hours.opens, tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day, hours.closes, tzinfo=zone).astimezone(UTC)
    return opens, closes


def waited_too_long(
    since: datetime,
    now: datetime,
    zone: str,
    limit_hours: float,
    hours: BusinessHours = CLINIC_HOURS,
) -> bool:
    """True once more than `limit_hours` working hours have passed since `since`."""
    return now > overdue_after(since, zone, limit_hours, hours)


@lru_cache(maxsize=4096)  # the queue and the callbacks ask again for the same rows each page
def overdue_after(
    since: datetime, zone: str, limit_hours: float, hours: BusinessHours = CLINIC_HOURS
) -> datetime:
    """The instant after which more than `limit_hours` working hours have passed since
    `since`: inside a working day, never at a closing time. Counts day by day from `since`,
    so a request waiting for weeks costs a day or two, and only once."""
    if not hours.weekdays or hours.opens >= hours.closes:
        return datetime.max.replace(tzinfo=UTC)  # no working time: never overdue
    limit, total = timedelta(hours=limit_hours), timedelta(0)
    for begins, ends in _working_spans(since, None, zone, hours):  # never ends: returns inside
        if total + (ends - begins) > limit:
            return begins + (limit - total)
        total += ends - begins


def waited_words(since: datetime, now: datetime) -> str:
    """How long, on the clock, in the words a busy desk reads at a glance."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"
