"""Offering a freed time to waiting patients: in waitlist order, a few at once, each by email
with a signed link; offers run out, and the worker offers the time to the next ones."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..database import SQLITE_BEGIN
from ..domain.providers import offers as provider_offers
from ..domain.waitlist import Wish, fits
from ..extensions import db
from ..formatting import phone_display, when
from ..models import (
    Appointment,
    AppointmentType,
    Location,
    OfferStatus,
    Provider,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from ..settings import ClinicSettings
from . import eligibility, outbox
from .free_times import SlotChoice, rules_for, slots_between

_SALT = "waitlist-offer"
OFFER_PATH = "/waitlist/offers/"  # views/waitlist.py's claim page, for links made off-request


@dataclass(frozen=True)
class FreedTime:
    provider_id: int
    location_id: int
    type_id: int
    starts_at: datetime
    # Whose visit held it: they let it go, so it is not offered back to them.
    freed_by: int | None = field(default=None, compare=False)


def time_held(appointment: Appointment) -> FreedTime | None:
    """The time a holding appointment keeps from others; None once it keeps none."""
    if not appointment.holds_time:
        return None
    return FreedTime(
        appointment.provider_id,
        appointment.location_id,
        appointment.type_id,
        appointment.starts_at,
        appointment.patient_id,
    )


def offer_token(offer_id: int, settings: ClinicSettings) -> str:
    return URLSafeSerializer(settings.secret_key, salt=_SALT).dumps(offer_id)


def offer_id_for(token: str, settings: ClinicSettings) -> int | None:
    try:
        value = URLSafeSerializer(settings.secret_key, salt=_SALT).loads(token[:200])
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def offer_time(freed: FreedTime, *, settings: ClinicSettings, now: datetime) -> list[int]:
    """In the caller's transaction (it commits): offer a freed time, if still free, to the
    first matching waiting patients not offered it before, up to the number open at once.
    Returns the new offers' ids."""
    open_before = db.session.execute(
        select(WaitlistOffer.patient_id, WaitlistOffer.status).where(
            WaitlistOffer.provider_id == freed.provider_id,
            WaitlistOffer.starts_at == freed.starts_at,
        )
    ).all()
    room = settings.waitlist_offers_at_once - sum(
        1 for _, status in open_before if status == OfferStatus.OFFERED
    )
    if room <= 0 or freed.starts_at <= now:
        return []
    provider = db.session.get(Provider, freed.provider_id)
    location = db.session.get(Location, freed.location_id)
    kind = db.session.get(AppointmentType, freed.type_id)
    if not provider_offers(
        kind.involves_dry_needling, eligibility.needling_attested(provider, settings, now)
    ):
        return []
    local = freed.starts_at.astimezone(ZoneInfo(location.timezone))
    choice = SlotChoice(provider, location, kind)
    day = local.date()
    if freed.starts_at not in slots_between(choice, day, day, now, rules_for(kind, settings)):
        return []
    offered = {patient_id for patient_id, _ in open_before} | {freed.freed_by}
    made = []
    for entry in _waiting_for(freed, day):
        if entry.patient_id in offered or not fits(
            _wish(entry), provider.id, location.id, kind.id, local
        ):
            continue
        if not eligibility.takes(provider, entry.patient_id):
            continue
        made.append(_offer(entry, choice, freed.starts_at, settings=settings, now=now))
        offered.add(entry.patient_id)
        if len(made) == room:
            break
    return made


def _waiting_for(freed: FreedTime, day) -> list[WaitlistEntry]:
    return list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.status == WaitlistStatus.ACTIVE,
                WaitlistEntry.location_id == freed.location_id,
                WaitlistEntry.type_id == freed.type_id,
                WaitlistEntry.first_on <= day,
                WaitlistEntry.last_on >= day,
                (WaitlistEntry.provider_id == freed.provider_id)
                | WaitlistEntry.provider_id.is_(None),
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .options(selectinload(WaitlistEntry.patient))
        )
    )


def _wish(entry: WaitlistEntry) -> Wish:
    return Wish(
        entry.provider_id,
        entry.location_id,
        entry.type_id,
        entry.first_on,
        entry.last_on,
        tuple(entry.times_of_day or ()),
    )


def _offer(
    entry: WaitlistEntry,
    choice: SlotChoice,
    starts_at: datetime,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> int:
    offer = WaitlistOffer(
        entry_id=entry.id,
        patient_id=entry.patient_id,
        provider_id=choice.provider.id,
        location_id=choice.location.id,
        type_id=choice.type.id,
        starts_at=starts_at,
        sent_at=now,
        expires_at=now + settings.waitlist_offer_life,
        status=OfferStatus.OFFERED,
    )
    db.session.add(offer)
    db.session.flush()
    link = settings.base_url.rstrip("/") + OFFER_PATH + offer_token(offer.id, settings)
    outbox.queue(
        [
            {
                "kind": "waitlist_offer",
                "recipient": entry.patient.email,
                "subject": "A time has opened up for you",
                "body": _offer_body(entry.patient.first_name, choice, offer, link, settings),
                "created_at": now,
                "next_attempt_at": now,
            }
        ],
    )
    return offer.id


def _offer_body(first_name, choice: SlotChoice, offer: WaitlistOffer, link, settings) -> str:
    zone = choice.location.timezone
    lines = [
        f"Hello {first_name},",
        "",
        "A time you were waiting for has opened up:",
        "",
        f"  {when(offer.starts_at, zone)}",
        f"  {choice.type.name} with {choice.provider.display_name}",
        f"  {choice.location.name}, {choice.location.one_line_address}",
        "",
        'To claim it, open this link and press "Claim this time":',
        "",
        link,
        "",
        f"The offer is open until {when(offer.expires_at, zone)}. We offered this time to",
        "more than one waiting patient: the first to claim it gets it. If someone is quicker,",
        "you stay on the waitlist.",
        "",
        f"Questions? Call us at {phone_display(settings.clinic_phone)}.",
        "",
        settings.clinic_name,
    ]
    return "\n".join(lines) + "\n"


def expire_due(*, settings: ClinicSettings, now: datetime) -> int:
    """The worker's step: offers past their time are marked expired and each freed time is
    offered to the next waiting patients while it is still free. Call it with no transaction
    open; returns how many offers expired."""
    db.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    due = db.session.scalars(
        select(WaitlistOffer)
        .where(WaitlistOffer.status == OfferStatus.OFFERED, WaitlistOffer.expires_at <= now)
        .order_by(WaitlistOffer.starts_at, WaitlistOffer.id)
        .with_for_update(skip_locked=True)
    ).all()
    if due:
        db.session.execute(
            update(WaitlistOffer)
            .where(WaitlistOffer.id.in_([offer.id for offer in due]))
            .values(status=OfferStatus.EXPIRED)
        )
        times = {FreedTime(o.provider_id, o.location_id, o.type_id, o.starts_at): None for o in due}
        for freed in times:
            offer_time(freed, settings=settings, now=now)
    db.session.commit()
    return len(due)


def seed_entry_with_offer(
    patient_id: int,
    choice: SlotChoice,
    starts_at: datetime,
    times_of_day: list[str],
    *,
    settings: ClinicSettings,
    now: datetime,
) -> int:
    """For the demo data: a waiting patient with an open offer of a free time, in the caller's
    transaction (the caller commits). Returns the offer's id."""
    day = starts_at.astimezone(ZoneInfo(choice.location.timezone)).date()
    entry = WaitlistEntry(
        patient_id=patient_id,
        provider_id=choice.provider.id,
        location_id=choice.location.id,
        type_id=choice.type.id,
        first_on=day,
        last_on=day,
        times_of_day=times_of_day,
        created_at=now,
        created_by_id=patient_id,
    )
    db.session.add(entry)
    db.session.flush()
    db.session.refresh(entry, ["patient"])
    return _offer(entry, choice, starts_at, settings=settings, now=now)
