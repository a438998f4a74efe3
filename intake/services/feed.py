"""A therapist's private calendar feed: its secret token and the events it carries."""

import hashlib
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..domain.calendar import build_calendar
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Provider, User
from ..settings import ClinicSettings
from . import audit, notifications

PAST, AHEAD = timedelta(days=30), timedelta(days=90)
DASH = "\N{EN DASH}"
# Status in the feed; cancelled, declined and missed visits drop out of the calendar.
FEED_STATUS = {
    AppointmentStatus.REQUESTED: "TENTATIVE",
    AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.COMPLETED: "CONFIRMED",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(provider: Provider, actor: User) -> str:
    """A fresh token; only its hash is kept, so the previous one stops working at once."""
    token = secrets.token_urlsafe(32)
    db.session.execute(
        update(Provider)
        .where(Provider.id == provider.id)
        .values(feed_token_hash=token_hash(token))
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "changed_feed_token", actor_id=actor.id, object_type="provider", object_id=provider.id
    )
    db.session.commit()
    return token


def provider_for_token(token: str) -> Provider | None:
    # Hash whatever came and look the hash up: the same work for a good token and a bad one,
    # and no comparison of secrets that could leak by timing.
    digest = token_hash(token[:200])
    return db.session.scalars(
        # A deactivated therapist's feed goes dark with their account.
        select(Provider).join(Provider.user).where(Provider.feed_token_hash == digest, User.active)
    ).first()


def initials(user: User) -> str:
    """M.L.: enough for the therapist to recognise, too little to identify on a lost phone."""
    return "".join(f"{part.strip()[:1].upper()}." for part in (user.first_name, user.last_name))


def feed_appointments(provider: Provider, now: datetime) -> list[Appointment]:
    """The past 30 and next 90 days: one query, whatever their number."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.provider_id == provider.id,
                Appointment.status.in_(tuple(FEED_STATUS)),
                Appointment.starts_at < now + AHEAD,
                Appointment.ends_at > now - PAST,
            )
            .options(
                joinedload(Appointment.patient),
                joinedload(Appointment.location),
                joinedload(Appointment.type),
                joinedload(Appointment.provider),
            )
            .order_by(Appointment.starts_at)
        )
    )


def feed_calendar(provider: Provider, now: datetime, settings: ClinicSettings) -> str:
    """iCalendar text without clinical details: who (initials), what type, where, when."""
    events = []
    for appointment in feed_appointments(provider, now):
        location = appointment.location
        events.append(
            replace(
                notifications.calendar_event(appointment, settings),  # the emails' UID
                summary=f"{initials(appointment.patient)} {DASH} {appointment.type.name}",
                location=f"{location.name}, {location.one_line_address}",
                description="",
                status=FEED_STATUS[appointment.status],
            )
        )
    name = f"{provider.display_name} {DASH} {settings.clinic_name}"
    return build_calendar(events, stamped_at=now, name=name)
