"""The demo's waitlist: Pat Jordan (a login of the demo) waits for John Carver's first free
time, so when Robin Hale cancels her request online, Pat is offered the freed time by email
and can claim it; and one regular already holds an open offer, so the desk's list shows one."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..domain.waitlist import TimeOfDay, part_of_day
from ..extensions import db
from ..models import Appointment, AppointmentStatus, User, WaitlistEntry
from ..settings import ClinicSettings
from . import demo_data, free_times, waitlist, waitlist_offers

WAITING_DAYS = 14


def seed_waitlist(regulars: list[User], settings: ClinicSettings, now: datetime) -> None:
    """Only into a clinic with nobody waiting yet, so a re-run adds nothing."""
    if db.session.scalar(select(func.count()).select_from(WaitlistEntry)):
        return
    _pat_waits_for_the_demo_request(settings, now)
    _a_regular_holds_an_offer(regulars[0], settings, now)
    db.session.commit()


def _pat_waits_for_the_demo_request(settings: ClinicSettings, now: datetime) -> None:
    email, _ = demo_data.REQUESTS[0]
    request = db.session.scalars(
        select(Appointment)
        .join(User, User.id == Appointment.patient_id)
        .where(User.email == email, Appointment.status == AppointmentStatus.REQUESTED)
    ).first()
    if request is None:
        return
    pat = db.session.scalars(select(User).where(User.email == demo_data.WAITLISTED)).one()
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    wish = waitlist.WishForm(
        provider_id=request.provider_id,
        location_id=request.location_id,
        type_id=request.type_id,
        first_on=today,
        last_on=today + timedelta(days=WAITING_DAYS),
        times_of_day=[str(part) for part in TimeOfDay],
    )
    waitlist.join(pat, wish, pat, settings=settings, now=now - timedelta(days=2))


def _a_regular_holds_an_offer(regular: User, settings: ClinicSettings, now: datetime) -> None:
    """The first free time of the demo's second therapist tomorrow or later, offered now."""
    slug = demo_data.THERAPISTS[1]["slug"]
    provider = free_times.provider_by_slug(slug)
    kind = free_times.active_types()[-1]
    choice = free_times.SlotChoice(provider, provider.locations[0], kind)
    first = now.date() + timedelta(days=1)
    rules = free_times.staff_rules(kind, settings)
    free = free_times.slots_between(choice, first, first + timedelta(days=WAITING_DAYS), now, rules)
    if not free:
        return
    local = free[0].astimezone(ZoneInfo(choice.location.timezone))
    waitlist_offers.seed_entry_with_offer(
        regular.id,
        choice,
        free[0],
        [str(part_of_day(local.time()))],
        settings=settings,
        now=now,
    )
