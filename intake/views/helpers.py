"""Template filters and globals shared by every page."""

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Location

log = logging.getLogger(__name__)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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


def clinic_locations() -> list[Location]:
    """The footer's list; one query a request, and an error page still renders without it."""
    if "clinic_locations" not in g:
        try:
            g.clinic_locations = db.session.scalars(select(Location).order_by(Location.name)).all()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("footer locations unavailable (%s)", type(error).__name__)
            g.clinic_locations = []
    return g.clinic_locations


def register(app: Flask) -> None:
    app.add_template_filter(phone_display, "phone")
    app.add_template_filter(clock)
    app.add_template_filter(local_datetime, "local")
    app.add_template_filter(lambda day: WEEKDAYS[day], "weekday")
    app.add_template_global(clinic_locations)

    @app.context_processor
    def clinic():
        return {
            "clinic_name": app.config["INTAKE_CLINIC_NAME"],
            "clinic_phone": app.config["INTAKE_CLINIC_PHONE"],
        }
