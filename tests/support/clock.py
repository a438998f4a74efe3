"""Times for tests, from a `now` the test passes in: the clinic's working weekdays ahead.

Nothing here reads the wall clock. A test that books against the running app (whose rules use
the real time) reads it once, `datetime.now(UTC)`, and hands it on, so every time it derives
is plainly relative to that one reading."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CLINIC_ZONE = ZoneInfo("America/New_York")  # the test clinics are in Durham, NC
SATURDAY = 5  # datetime.weekday(): Monday is 0


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = CLINIC_ZONE) -> datetime:
    """hour:minute on the clinic's wall clock that day, as a UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def days_after(now: datetime, days: int, zone: ZoneInfo = CLINIC_ZONE) -> date:
    """The clinic's date `days` after `now` (weekends included)."""
    return now.astimezone(zone).date() + timedelta(days=days)


def next_weekday(now: datetime, days_ahead: int = 2, zone: ZoneInfo = CLINIC_ZONE) -> date:
    """The first Monday-to-Friday at least `days_ahead` days after `now`, at the clinic."""
    day = days_after(now, days_ahead, zone)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def next_weekday_at(
    now: datetime,
    hour: int,
    zone: ZoneInfo = CLINIC_ZONE,
    *,
    days_ahead: int = 2,
    minute: int = 0,
) -> datetime:
    """hour:minute at the clinic on the first weekday at least `days_ahead` days after `now`,
    as a UTC instant: a slot inside the test clinics' Monday-to-Friday hours."""
    return at(next_weekday(now, days_ahead, zone), hour, minute, zone)


def weekdays_ahead(
    now: datetime, count: int, days_ahead: int = 2, zone: ZoneInfo = CLINIC_ZONE
) -> list[date]:
    """The first `count` weekdays from `days_ahead` days after `now`, in order."""
    day, found = days_after(now, days_ahead, zone), []
    while len(found) < count:
        if day.weekday() < SATURDAY:
            found.append(day)
        day += timedelta(days=1)
    return found


def coming(now: datetime, weekday: int, weeks_ahead: int = 1, zone: ZoneInfo = CLINIC_ZONE) -> date:
    """That weekday (Monday is 0) in the week `weeks_ahead` weeks on: at least a week away."""
    today = now.astimezone(zone).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
