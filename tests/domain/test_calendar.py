"""Calendar files say when they were made from the time they are given, not from a clock,
and an invitation stored as values makes the same file later."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from intake.domain.calendar import CalendarEvent, Party, as_record, build_calendar, from_record

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


INVITATION = replace(
    VISIT,
    description="Bring shorts",
    status="TENTATIVE",
    organizer=Party("desk@clinic.example", "Riverside Needling"),
    attendees=(Party("maria@example.com", 'Maria Lopez, "Mia"', "ACCEPTED"),),
)


@pytest.mark.parametrize("event", [VISIT, INVITATION])
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_kept_as_values_makes_the_same_file_the_change_would_have(event, method):
    stamped_at = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the fall-back night, in UTC
    # Through JSON, as the outbox stores it.
    record = json.loads(json.dumps(as_record(event, stamped_at=stamped_at, method=method)))
    assert from_record(record) == build_calendar([event], stamped_at=stamped_at, method=method)


@pytest.mark.parametrize(
    "record",
    [{}, {"method": "REQUEST"}, {"method": "REQUEST", "stamped_at": "x", "event": {}}, []],
)
def test_a_record_this_code_did_not_write_is_refused_in_words(record):
    with pytest.raises(ValueError):
        from_record(record)
