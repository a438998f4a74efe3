"""The waitlist's entries: joining (a patient, or the front desk for a caller), leaving, and
the lists the patient and the desk read. Offers of freed times are in waitlist_offers.py."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..database import begin_write
from ..domain.waitlist import TimeOfDay, WishRefused, check_wish
from ..extensions import db
from ..models import (
    AppointmentType,
    Location,
    Provider,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit
from .errors import ActionRefused
from .free_times import active_types
from .intakes import current_intake, screening_of

PER_PAGE = 50


@dataclass(frozen=True)
class WishForm:
    """A wish as a form gave it: ids as typed, parsed dates, parts of the day."""

    provider_id: int | None
    location_id: int | None
    type_id: int | None
    first_on: date
    last_on: date
    times_of_day: list[str]


def join(
    patient: User, wish: WishForm, actor: User, *, settings: ClinicSettings, now: datetime
) -> WaitlistEntry:
    """Add the patient to the waitlist. WishRefused (naming the field) for a place the
    provider does not work at, an inactive type, or dates the domain refuses. The same wish
    while the patient still waits with it is their entry, not a second one. Staff adding a
    caller is audited."""
    location = db.session.get(Location, wish.location_id) if wish.location_id else None
    if location is None:
        raise WishRefused("location", "Please choose one of our locations.")
    provider = None
    if wish.provider_id is not None:
        provider = db.session.get(Provider, wish.provider_id)
        if provider is None or location not in provider.locations:
            raise WishRefused("provider", "That provider does not see patients at that location.")
    kind = next((kind for kind in active_types() if kind.id == wish.type_id), None)
    if kind is None:
        raise WishRefused("type", "Please choose one of the appointment types we offer.")
    if actor.id == patient.id and kind.involves_dry_needling and _must_call_first(patient.id):
        # Each time offered could not be claimed, and would hold a place someone else needs.
        raise WishRefused(
            "type",
            "From your answers, please call us to talk about dry needling before booking it.",
        )
    today = now.astimezone(ZoneInfo(location.timezone)).date()
    check_wish(wish.first_on, wish.last_on, wish.times_of_day, today)
    begin_write(db.session)
    entry = WaitlistEntry(
        patient_id=patient.id,
        provider_id=provider.id if provider else None,
        location_id=location.id,
        type_id=wish.type_id,
        first_on=wish.first_on,
        last_on=wish.last_on,
        # In the day's order (morning first), as the lists show them; check_wish refused others.
        times_of_day=[part.value for part in TimeOfDay if part in wish.times_of_day],
        created_at=now,
        created_by_id=actor.id,
    )
    waiting = _same_wish_waiting(entry)
    if waiting is not None:  # a second tap on "Join": one place in the queue, not two
        return waiting
    db.session.add(entry)
    db.session.flush()
    if actor.id != patient.id:
        audit.record(
            "waitlist_added",
            actor_id=actor.id,
            object_type="waitlist_entry",
            object_id=entry.id,
            patient_id=patient.id,
        )
    db.session.commit()
    return entry


def _must_call_first(patient_id: int) -> bool:
    """Her screening rules out booking dry needling online (as on the booking pages)."""
    intake = current_intake(patient_id)
    return intake is not None and screening_of(intake).blocks_online_dry_needling


def _same_wish_waiting(wish: WaitlistEntry) -> WaitlistEntry | None:
    """The patient's active entry for exactly this wish, if they are already waiting."""

    def what(entry: WaitlistEntry) -> tuple:
        return (
            entry.provider_id,
            entry.location_id,
            entry.type_id,
            entry.first_on,
            entry.last_on,
            sorted(entry.times_of_day),
        )

    waiting = db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.patient_id == wish.patient_id,
            WaitlistEntry.status == WaitlistStatus.ACTIVE,
        )
    )
    return next((entry for entry in waiting if what(entry) == what(wish)), None)


ALREADY_OFF = "That entry is already off the waitlist: nothing was changed."


def leave(entry_id: int, actor: User, *, now: datetime) -> None:
    """A patient leaving (their own entry only) or the desk removing one (audited).
    LookupError when it is not there or not the patient's own; ActionRefused when it is no
    longer waiting (a second click, or someone else removed it first)."""
    begin_write(db.session)
    entry = db.session.get(WaitlistEntry, entry_id)
    staff = actor.role in (Role.FRONT_DESK, Role.ADMIN)
    if entry is None or (not staff and entry.patient_id != actor.id):
        db.session.rollback()
        raise LookupError(entry_id)
    if entry.status != WaitlistStatus.ACTIVE:
        db.session.rollback()
        raise ActionRefused(ALREADY_OFF)
    entry.status, entry.closed_at = WaitlistStatus.REMOVED, now
    if staff:
        audit.record(
            "waitlist_removed",
            actor_id=actor.id,
            object_type="waitlist_entry",
            object_id=entry.id,
            patient_id=entry.patient_id,
        )
    db.session.commit()


def _details():
    return (
        selectinload(WaitlistEntry.provider),
        selectinload(WaitlistEntry.location),
        selectinload(WaitlistEntry.type),
    )


def patient_entries(patient_id: int) -> list[WaitlistEntry]:
    """A patient's own active entries, oldest first."""
    return list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.patient_id == patient_id,
                WaitlistEntry.status == WaitlistStatus.ACTIVE,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .options(*_details())
        )
    )


@dataclass(frozen=True)
class WaitlistPage:
    entries: list[WaitlistEntry]
    offers: list[WaitlistOffer]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def desk_page(page: int, provider_id: int | None = None, per_page: int = PER_PAGE) -> WaitlistPage:
    """Active entries in waitlist order, a page of them, and the latest offers; a therapist's
    view is limited to their own provider (and any-provider entries at their locations)."""
    active = WaitlistEntry.status == WaitlistStatus.ACTIVE
    listed = select(WaitlistEntry).where(active)
    offers = select(WaitlistOffer)
    if provider_id is not None:
        places = select(Location.id).join(Provider.locations).where(Provider.id == provider_id)
        listed = listed.where(
            (WaitlistEntry.provider_id == provider_id)
            | (WaitlistEntry.provider_id.is_(None) & WaitlistEntry.location_id.in_(places))
        )
        offers = offers.where(WaitlistOffer.provider_id == provider_id)
    total = db.session.scalar(select(func.count()).select_from(listed.subquery())) or 0
    page = min(page, max(1, -(-total // per_page)))
    entries = db.session.scalars(
        listed.order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(*_details(), selectinload(WaitlistEntry.patient))
    ).all()
    recent = db.session.scalars(
        offers.order_by(WaitlistOffer.sent_at.desc(), WaitlistOffer.id.desc())
        .limit(20)
        .options(
            selectinload(WaitlistOffer.patient),
            selectinload(WaitlistOffer.provider),
            selectinload(WaitlistOffer.location),
        )
    ).all()
    return WaitlistPage(list(entries), list(recent), total, page, per_page)


def patient_named(patient_id: int | None) -> User | None:
    """The patient a staff member adds; anyone else (staff, unknown) reads as missing."""
    user = db.session.get(User, patient_id) if patient_id else None
    return user if user is not None and user.role == Role.PATIENT else None


def choices() -> tuple[list[Provider], list[Location], list[AppointmentType]]:
    """What a wish may name: providers with their places, locations, active types."""
    providers = db.session.scalars(
        select(Provider).order_by(Provider.display_name).options(selectinload(Provider.locations))
    ).all()
    locations = db.session.scalars(select(Location).order_by(Location.name)).all()
    return list(providers), list(locations), active_types()
