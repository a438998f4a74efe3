"""Calendar files say when they were made from the time they are given, not from a clock."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from intake.domain.calendar import CalendarEvent, build_calendar

VISIT = CalendarEvent(
    uid="appointment-7@clinic.example",
    sequence=2,
    starts_at=datetime(2026, 3, 10, 14, 30, tzinfo=UTC),
    ends_at=datetime(2026, 3, 10, 15, 15, tzinfo=UTC),
    zone="America/New_York",
    summary="Dry needling with Ben Durham",
    location="Durham Central, 1 Main St",
)


def stamps(ics: str) -> list[datetime]:
    return [e.decoded("dtstamp") for e in Calendar.from_ical(ics).walk("VEVENT")]


@pytest.mark.parametrize(
    "stamped_at",
    [
        datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC),
        # An aware time in another zone is the same instant, written in UTC.
        datetime(2026, 3, 1, 4, 0, 5, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_every_event_is_stamped_with_the_time_passed_in(stamped_at):
    ics = build_calendar([VISIT, VISIT], stamped_at=stamped_at, method="REQUEST")
    assert stamps(ics) == [datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC)] * 2
    assert "DTSTAMP:20260301T090005Z" in ics
