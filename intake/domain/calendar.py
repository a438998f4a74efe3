"""iCalendar files for appointments: one event per email, or a whole feed."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Event, Timezone

PRODUCT_ID = "-//Dry Needling Clinic//Intake and Booking//EN"


@dataclass(frozen=True)
class Party:
    """An ORGANIZER or ATTENDEE: who sends the invitation, or who is asked to come."""

    email: str
    name: str
    partstat: str = "NEEDS-ACTION"  # an attendee's answer: ACCEPTED, DECLINED...


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable for the life of the appointment, so updates replace the same event
    sequence: int  # bumped on every change, as RFC 5546 asks
    starts_at: datetime  # aware UTC
    ends_at: datetime
    zone: str  # the location's zone: the event is written in it
    summary: str
    location: str
    description: str = ""
    status: str = "CONFIRMED"  # TENTATIVE while only requested, CANCELLED when off
    # RFC 5546: a REQUEST or CANCEL names its organizer and attendees; a feed needs neither.
    organizer: Party | None = None
    attendees: tuple[Party, ...] = ()


def build_calendar(
    events: Iterable[CalendarEvent],
    *,
    stamped_at: datetime,
    method: str | None = None,
    name: str | None = None,
) -> str:
    """METHOD REQUEST or CANCEL for an email attachment; no method for a subscribed feed.
    stamped_at (aware) is when this copy was made: every event's DTSTAMP."""
    # Imported here: only booking emails and feeds need it, and it costs each worker ~3 MB.
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    events = list(events)
    for item in events:
        calendar.add_component(_event(item, stamped_at))
    if events:
        # Only the years the events need, rather than the zone's whole history; before the
        # events, as RFC 5545 readers expect.
        first_year = min(e.starts_at for e in events).year
        last_year = max(e.ends_at for e in events).year
        for zone in sorted({e.zone for e in events}, reverse=True):
            calendar.subcomponents.insert(0, _timezone(zone, first_year, last_year))
    return calendar.to_ical().decode("utf-8")


def as_record(event: CalendarEvent, *, stamped_at: datetime, method: str) -> dict:
    """One email's invitation as JSON values: an outbox row stores these and the mail worker
    writes the file (`from_record`), so a change's transaction does not pay for it."""
    # The fields one by one: dataclasses.asdict deep-copies every value on the way (~40 µs).
    values = dict(vars(event))
    values["starts_at"], values["ends_at"] = event.starts_at.isoformat(), event.ends_at.isoformat()
    values["organizer"] = dict(vars(event.organizer)) if event.organizer else None
    values["attendees"] = [dict(vars(person)) for person in event.attendees]
    return {"method": method, "stamped_at": stamped_at.isoformat(), "event": values}


def from_record(record: Mapping) -> str:
    """The file `as_record` describes, the same bytes `build_calendar` gives for the event.
    ValueError for a record this code did not write."""
    try:
        values = dict(record["event"])
        organizer = values.pop("organizer")
        event = CalendarEvent(
            **{
                **values,
                "starts_at": datetime.fromisoformat(values["starts_at"]),
                "ends_at": datetime.fromisoformat(values["ends_at"]),
                "organizer": Party(**organizer) if organizer else None,
                "attendees": tuple(Party(**person) for person in values["attendees"]),
            }
        )
        stamped_at = datetime.fromisoformat(record["stamped_at"])
        method = record["method"]
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a calendar record ({type(error).__name__})") from None
    return build_calendar([event], stamped_at=stamped_at, method=method)


@lru_cache(maxsize=64)
def _timezone(zone: str, first_year: int, last_year: int) -> "Timezone":
    """The zone's VTIMEZONE for those years, made once: every email of a change (the
    patient's copy and the staff's) and every feed reuses it; serialising only reads it."""
    from icalendar import Timezone  # see build_calendar

    return Timezone.from_tzid(
        zone, first_date=date(first_year, 1, 1), last_date=date(last_year + 2, 1, 1)
    )


def _event(item: CalendarEvent, stamped_at: datetime) -> "Event":
    from icalendar import Event  # see build_calendar

    zone = ZoneInfo(item.zone)
    event = Event()
    event.add("uid", item.uid)
    event.add("sequence", item.sequence)
    event.add("dtstamp", stamped_at.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", item.starts_at.astimezone(zone))
    event.add("dtend", item.ends_at.astimezone(zone))
    event.add("summary", item.summary)
    event.add("location", item.location)
    if item.description:
        event.add("description", item.description)
    event.add("status", item.status)
    if item.organizer is not None:
        event.add("organizer", _address(item.organizer))
    for person in item.attendees:
        attendee = _address(person)
        # RSVP FALSE: the clinic reads no calendar replies; changes go through its pages.
        attendee.params.update(ROLE="REQ-PARTICIPANT", PARTSTAT=person.partstat, RSVP="FALSE")
        event.add("attendee", attendee)
    return event


def _address(person: Party):
    from icalendar import vCalAddress  # see build_calendar

    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = person.name
    return address
