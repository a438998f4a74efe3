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
    """8:00 AM, the way patients read times."""
    return value.strftime("%I:%M %p").lstrip("0")


def local_datetime(value: datetime, zone: str | None = None) -> datetime:
    return value.astimezone(ZoneInfo(zone or current_app.config["INTAKE_TIMEZONE"]))


def when(value: datetime, zone: str | None = None) -> str:
    """Tuesday, March 10, 2026 at 9:30 AM EDT: local to the clinic, with the zone shown."""
    local = local_datetime(value, zone)
    return f"{local:%A, %B} {local.day}, {local.year} at {clock(local)} {local:%Z}"


def long_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = local_datetime(value).date()
    return f"{value:%B} {value.day}, {value.year}"


def clinic_today() -> date:
    return local_datetime(datetime.now(UTC)).date()


def iso_minute(value: datetime) -> str:
    """2026-11-25T13:15Z: a slot in a URL, short and with no '+' to escape."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
