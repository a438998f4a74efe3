"""How dates, times and phone numbers read to people; used by pages and emails alike."""

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@lru_cache(maxsize=1024)  # every page's footer shows the clinic's; parsing costs ~50 µs
def phone_display(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def clock(value: time | datetime) -> str:
    """8:00 AM, the way patients read times. A local time the clocks show twice (the hour
    repeated when they fall back) carries its zone: 1:30 AM EDT, then 1:30 AM EST."""
    label = _plain_clock(value)
    if isinstance(value, datetime) and _shown_twice(value):
        label += f" {value:%Z}"
    return label


def _plain_clock(value: time | datetime) -> str:
    return value.strftime("%I:%M %p").lstrip("0")


def _shown_twice(local: datetime) -> bool:
    """The wall time occurs twice on this day in its zone (the fall-back hour)."""
    if local.tzinfo is None or local.tzinfo is UTC:
        return False
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def local_datetime(value: datetime, zone: str | None = None) -> datetime:
    return value.astimezone(ZoneInfo(zone or current_app.config["INTAKE_TIMEZONE"]))


def when(value: datetime, zone: str | None = None) -> str:
    """Tuesday, March 10, 2026 at 9:30 AM EDT: local to the clinic, with the zone shown."""
    local = local_datetime(value, zone)
    return f"{local:%A, %B} {local.day}, {local.year} at {_plain_clock(local)} {local:%Z}"


def long_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = local_datetime(value).date()
    return f"{value:%B} {value.day}, {value.year}"


# --- fast forms for long lists -------------------------------------------------------------
# A page of 50 rows formats 100+ times; these give the same words as `when`, `long_date` and
# `clock` above, cached on the zone and on the minute (times, not anyone's data).


@lru_cache(maxsize=64)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8192)
def _minute_words(minute: int, zone: str) -> tuple[str, str, str, str, str]:
    """(weekday, long date, plain clock, zone abbreviation, clock) of a minute since the
    epoch, local; the last is `clock`'s, with the zone in the repeated hour."""
    local = datetime.fromtimestamp(minute * 60, UTC).astimezone(zone_info(zone))
    day = f"{local:%B} {local.day}, {local.year}"
    return f"{local:%A}", day, _plain_clock(local), f"{local:%Z}", clock(local)


def _words(value: datetime, zone: str) -> tuple[str, str, str, str, str]:
    return _minute_words(int(value.timestamp()) // 60, zone)


def when_in(value: datetime, zone: str) -> str:
    """`when(value, zone)`, cached: Tuesday, March 10, 2026 at 9:30 AM EDT."""
    weekday, day, hour, abbreviation, _ = _words(value, zone)
    return f"{weekday}, {day} at {hour} {abbreviation}"


def day_and_clock_in(value: datetime, zone: str) -> str:
    """March 10, 2026 9:30 AM: `long_date` and `clock` of the local time, cached."""
    _, day, _, _, hour = _words(value, zone)
    return f"{day} {hour}"


def clock_in(value: datetime, zone: str) -> str:
    """`clock` of the local time, cached: 9:30 AM (1:30 AM EST in the repeated hour)."""
    return _words(value, zone)[4]


def clinic_today() -> date:
    return local_datetime(datetime.now(UTC)).date()


def iso_minute(value: datetime) -> str:
    """2026-11-25T13:15Z: a slot in a URL, short and with no '+' to escape."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
