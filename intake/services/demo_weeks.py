"""Two weeks of a working clinic for the demo: the week gone and the week ahead, on every
therapist's hours, so the calendar, the schedules, the lists and the export look lived in on
the first run. Past visits ended as visits do (mostly completed, with their signed notes; a
few cancelled or missed); visits from now on are confirmed. Deterministic: one seed."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.needling import Tolerance
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AppointmentType,
    NeedlingNote,
    Provider,
    TimeOff,
    User,
)
from ..permissions import Role
from ..settings import ClinicSettings
from . import demo_data
from .changes import times_at

WEEK = timedelta(days=7)
GRID = timedelta(minutes=15)
DEMO_SEED = 20261203
REGULARS_DOMAIN = "example.net"


def regular_email(first_name: str, last_name: str) -> str:
    return f"{first_name}.{last_name}@{REGULARS_DOMAIN}".lower()


def seed_two_weeks(regulars: list[User], settings: ClinicSettings, now: datetime) -> int:
    """Fill the week before and the week after `now` around what the calendar already holds;
    only while the regulars have no visits, so a re-run adds nothing. Returns how many visits
    it added."""
    first, last = now - WEEK, now + WEEK
    ids = [patient.id for patient in regulars]
    if db.session.scalar(select(Appointment.id).where(Appointment.patient_id.in_(ids)).limit(1)):
        return 0
    rng = random.Random(DEMO_SEED)  # noqa: S311 (a believable calendar, not a secret)
    kinds = list(
        db.session.scalars(
            select(AppointmentType).where(AppointmentType.active).order_by(AppointmentType.id)
        )
    )
    weights = [3 if "follow" in kind.slug else 1 for kind in kinds]  # most visits are follow-ups
    desk = db.session.scalars(select(User).where(User.role == Role.FRONT_DESK)).first()
    zone = ZoneInfo(settings.timezone)
    added = 0
    for provider in _providers():
        taken = _taken(provider.id, first, last)
        for day in _days(first, last, zone):
            for block in (h for h in provider.working_hours if h.weekday == day.weekday()):
                start = datetime.combine(day, block.starts, zone)
                close = datetime.combine(day, block.ends, zone)
                while start < close:
                    kind = rng.choices(kinds, weights=weights)[0]
                    placed = times_at(start.astimezone(ZoneInfo("UTC")), kind)
                    step = _rounded(placed["blocks_until"] - placed["starts_at"])
                    if (
                        placed["ends_at"] > close
                        or rng.random() > demo_data.BUSY_SHARE
                        or any(_overlaps(placed, span) for span in taken)
                    ):
                        start += GRID * 2
                        continue
                    visit = _visit(rng, provider, block.location_id, kind, regulars, placed, now)
                    _history(visit, desk, now)
                    taken.append((placed["starts_at"], placed["blocks_until"]))
                    added += 1
                    start += step
    db.session.commit()
    return added


def _providers() -> list[Provider]:
    return list(
        db.session.scalars(
            select(Provider)
            .join(Provider.user)
            .where(User.active)
            .options(selectinload(Provider.working_hours))
            .order_by(Provider.id)
        )
    )


def _taken(provider_id: int, first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    """What already holds the provider's time: visits and time off."""
    visits = db.session.execute(
        select(Appointment.starts_at, Appointment.blocks_until).where(
            Appointment.provider_id == provider_id,
            Appointment.blocks_until > first,
            Appointment.starts_at < last,
        )
    ).all()
    off = db.session.execute(
        select(TimeOff.starts_at, TimeOff.ends_at).where(
            TimeOff.provider_id == provider_id, TimeOff.ends_at > first, TimeOff.starts_at < last
        )
    ).all()
    return [tuple(row) for row in (*visits, *off)]


def _days(first: datetime, last: datetime, zone: ZoneInfo):
    day: date = first.astimezone(zone).date()
    while day <= last.astimezone(zone).date():
        yield day
        day += timedelta(days=1)


def _rounded(length: timedelta) -> timedelta:
    """A visit and its buffer, rounded up to the slot grid: the next visit starts on it."""
    return GRID * -(-length // GRID)


def _overlaps(placed: dict, span: tuple[datetime, datetime]) -> bool:
    return placed["starts_at"] < span[1] and span[0] < placed["blocks_until"]


def _visit(rng, provider, location_id, kind, regulars, placed, now) -> Appointment:
    status = AppointmentStatus.CONFIRMED
    if placed["starts_at"] < now:
        outcomes, weights = zip(*demo_data.PAST_OUTCOMES, strict=True)
        status = AppointmentStatus(rng.choices(outcomes, weights=weights)[0])
    patient = rng.choice(regulars)
    visit = Appointment(
        patient_id=patient.id,
        provider_id=provider.id,
        location_id=location_id,
        type_id=kind.id,
        status=status,
        screening_snapshot={},
        created_at=placed["starts_at"] - timedelta(days=rng.randint(3, 20)),
        **placed,
    )
    db.session.add(visit)
    db.session.flush()
    if status == AppointmentStatus.COMPLETED and kind.involves_dry_needling:
        db.session.add(
            NeedlingNote(
                appointment_id=visit.id,
                therapist_id=provider.user_id,
                signed_by_id=provider.user_id,
                regions=["neck:left", "upper_back:left"],
                needle_count=rng.randint(2, 8),
                tolerance=Tolerance.GOOD,
                twitch_response=rng.random() < 0.7,
                aftercare="Heat and the usual stretches; walk and move as normal.",
                signed_at=placed["ends_at"] + timedelta(minutes=10),
            )
        )
    return visit


def _history(visit: Appointment, desk: User | None, now: datetime) -> None:
    """Booked by the desk on the phone; then how it ended, once its time has come."""
    events = [
        AppointmentEvent(
            appointment_id=visit.id,
            actor_id=desk.id if desk else None,
            action="booked",
            to_status=AppointmentStatus.CONFIRMED,
            detail="booked by phone",
            at=visit.created_at,
        )
    ]
    if visit.status != AppointmentStatus.CONFIRMED:
        events.append(
            AppointmentEvent(
                appointment_id=visit.id,
                action=str(visit.status),
                from_status=AppointmentStatus.CONFIRMED,
                to_status=visit.status,
                at=min(visit.ends_at, now),
            )
        )
    db.session.add_all(events)
