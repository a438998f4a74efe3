"""Claiming an offered time: the first valid claim books it as an online request would, and
the offer, its entry and the other offers of that time change in the same commit."""

from datetime import datetime
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..database import begin_write
from ..extensions import db
from ..models import Appointment, OfferStatus, User, WaitlistEntry, WaitlistOffer, WaitlistStatus
from ..settings import ClinicSettings
from . import booking
from .errors import BookingError, SlotTaken
from .free_times import SlotChoice, check_free, rules_for


class OfferTaken(BookingError):
    MESSAGE = "Just taken: someone claimed this time a moment before you. You stay on the waitlist."

    def __init__(self):
        super().__init__(self.MESSAGE)


class OfferExpired(BookingError):
    def __init__(self):
        super().__init__(
            "This offer has run out, so the time may have gone to another waiting patient. "
            "You stay on the waitlist and we will email you when another time opens up."
        )


def own_offer(patient_id: int, offer_id: int | None) -> WaitlistOffer | None:
    """The patient's own offer with what its page shows; anyone else's reads as missing."""
    if offer_id is None:
        return None
    return db.session.scalars(
        select(WaitlistOffer)
        .where(WaitlistOffer.id == offer_id, WaitlistOffer.patient_id == patient_id)
        .options(
            selectinload(WaitlistOffer.provider),
            selectinload(WaitlistOffer.location),
            selectinload(WaitlistOffer.type),
        )
    ).first()


def require_open(offer: WaitlistOffer, now: datetime) -> None:
    """OfferTaken or OfferExpired, in words, for an offer that cannot be claimed now."""
    if offer.status == OfferStatus.TAKEN:
        raise OfferTaken
    if offer.status == OfferStatus.EXPIRED or offer.expires_at <= now:
        raise OfferExpired


def require_free(offer: WaitlistOffer, settings: ClinicSettings, now: datetime) -> None:
    """OfferTaken when the offered time was booked meanwhile some other way (online, by
    phone): the offer still reads "offered", but claiming it could only fail. Reads only."""
    choice = SlotChoice(offer.provider, offer.location, offer.type)
    try:
        check_free(choice, offer.starts_at, now, rules_for(offer.type, settings))
    except SlotTaken:
        raise OfferTaken from None


def claim(patient: User, offer_id: int, *, settings: ClinicSettings, now: datetime) -> Appointment:
    """Book the offered time for the patient as a requested visit, through the online
    request's path (readiness, screening, consent, the provider's rules). LookupError for
    someone else's offer; OfferTaken when another claim (or booking) was first; OfferExpired
    past its time; NotReady and other BookingErrors as for any request. A claim already made
    returns its appointment."""
    offer = own_offer(patient.id, offer_id)
    if offer is None:
        raise LookupError(offer_id)
    if offer.status == OfferStatus.CLAIMED and offer.appointment_id is not None:
        return db.session.get(Appointment, offer.appointment_id)
    require_open(offer, now)
    choice = SlotChoice(offer.provider, offer.location, offer.type)
    try:
        return booking.request_appointment(
            patient,
            choice,
            offer.starts_at,
            "Claimed from the waitlist.",
            settings=settings,
            now=now,
            also=partial(_claimed, offer.id, offer.entry_id, now),
        )
    except SlotTaken:
        _mark_taken(offer_id)
        raise OfferTaken from None


def _claimed(offer_id: int, entry_id: int, now: datetime, appointment: Appointment) -> None:
    claimed = db.session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.id == offer_id, WaitlistOffer.status == OfferStatus.OFFERED)
        .values(status=OfferStatus.CLAIMED, claimed_at=now, appointment_id=appointment.id)
    )
    if claimed.rowcount != 1:
        raise OfferTaken  # the request's transaction is rolled back with it
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id)
        .values(status=WaitlistStatus.BOOKED, closed_at=now)
    )
    db.session.execute(
        update(WaitlistOffer)
        .where(
            WaitlistOffer.provider_id == appointment.provider_id,
            WaitlistOffer.starts_at == appointment.starts_at,
            WaitlistOffer.status == OfferStatus.OFFERED,
        )
        .values(status=OfferStatus.TAKEN)
    )


def _mark_taken(offer_id: int) -> None:
    begin_write(db.session)
    db.session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.id == offer_id, WaitlistOffer.status == OfferStatus.OFFERED)
        .values(status=OfferStatus.TAKEN)
    )
    db.session.commit()
