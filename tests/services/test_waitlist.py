"""The waitlist's offers: a freed time goes to waiting patients in order, by email; two
claims at once give one appointment; an offer past its time is refused and passed on."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intake.config import current_settings
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    OutboxMessage,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from intake.services import booking, staff_actions, waitlist_claims, waitlist_offers
from intake.services.waitlist_claims import OfferExpired, OfferTaken
from tests.support.clock import next_weekday_at


@pytest.fixture
def now():
    return datetime.now(UTC)


@pytest.fixture
def freed_at(now):
    """10:00 at the clinic on a weekday four days on: inside Ben's 9-12 hours."""
    return next_weekday_at(now, 10, days_ahead=4)


@pytest.fixture
def waiting(app, clinic, ready_patient, now, freed_at):
    """Patients waiting for Ben's mornings, in the order given (the first joined earliest)."""

    def build(count: int, **wish):
        day = freed_at.astimezone(ZoneInfo(clinic.location.timezone)).date()
        patients = [ready_patient() for _ in range(count)]
        with app.app_context():
            for n, patient in enumerate(patients):
                db.session.add(
                    WaitlistEntry(
                        patient_id=patient.id,
                        provider_id=wish.get("provider_id", clinic.provider.id),
                        location_id=clinic.location.id,
                        type_id=clinic.type.id,
                        first_on=day - timedelta(days=1),
                        last_on=day + timedelta(days=1),
                        times_of_day=wish.get("times", ["morning"]),
                        created_at=now - timedelta(hours=count - n),
                        created_by_id=patient.id,
                    )
                )
            db.session.commit()
        return patients

    return build


@pytest.fixture
def held(clinic, ready_patient, make_appointment, freed_at):
    """Someone else's confirmed visit at the freed time."""
    return make_appointment(
        ready_patient(),
        clinic.provider,
        clinic.location,
        clinic.type,
        freed_at,
        status=AppointmentStatus.CONFIRMED,
    )


def cancel(app, appointment, desk, now):
    with app.app_context():
        actor = db.session.get(User, desk.id)
        staff_actions.cancel(
            appointment.id, appointment.revision, actor, "Ill", settings=current_settings(), now=now
        )


@pytest.fixture
def desk(make_user):
    from intake.permissions import Role

    return make_user(Role.FRONT_DESK)


def offers_of(app):
    with app.app_context():
        return db.session.execute(
            select(WaitlistOffer.patient_id, WaitlistOffer.status, WaitlistOffer.id).order_by(
                WaitlistOffer.id
            )
        ).all()


def offer_mail(app):
    with app.app_context():
        return db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.kind == "waitlist_offer"
            )
        ).all()


def test_a_cancelled_visit_is_offered_to_the_first_two_waiting_in_order_by_email(
    app, waiting, held, desk, now
):
    first, second, third = waiting(3)
    cancel(app, held, desk, now)

    offers = offers_of(app)
    assert [(p, s) for p, s, _ in offers] == [(first.id, "offered"), (second.id, "offered")]
    mail = offer_mail(app)
    assert sorted(r for r, _, _ in mail) == sorted([first.email, second.email])
    assert third.email not in {r for r, _, _ in mail}
    _, subject, body = mail[0]
    assert subject == "A time has opened up for you"  # no personal data in the subject
    assert "/waitlist/offers/" in body and "Claim this time" in body


def test_a_move_frees_the_old_time_for_the_waitlist(app, waiting, held, desk, now, freed_at):
    [patient] = waiting(1)
    with app.app_context():
        actor = db.session.get(User, desk.id)
        staff_actions.move(
            held.id,
            held.revision,
            actor,
            held.provider_id,
            held.location_id,
            freed_at + timedelta(hours=1),
            settings=current_settings(),
            now=now,
        )
    assert [(p, s) for p, s, _ in offers_of(app)] == [(patient.id, "offered")]


def test_nobody_is_offered_a_time_outside_their_wish(app, waiting, held, desk, now):
    waiting(1, times=["afternoon"])
    cancel(app, held, desk, now)
    assert offers_of(app) == []


def test_any_provider_at_the_location_matches(app, waiting, held, desk, now):
    [patient] = waiting(1, provider_id=None)
    cancel(app, held, desk, now)
    assert [p for p, _, _ in offers_of(app)] == [patient.id]


def claim(app, patient, offer_id, now):
    with app.app_context():
        user = db.session.get(User, patient.id)
        return waitlist_claims.claim(user, offer_id, settings=current_settings(), now=now).id


def test_a_claim_books_a_request_and_closes_the_entry_and_the_other_offer(
    app, waiting, held, desk, now
):
    first, second = waiting(2)
    cancel(app, held, desk, now)
    (_, _, first_offer), (_, _, second_offer) = offers_of(app)

    appointment_id = claim(app, second, second_offer, now)

    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.patient_id, appointment.status) == (second.id, "requested")
        assert appointment.starts_at == held.starts_at
        entries = dict(
            db.session.execute(select(WaitlistEntry.patient_id, WaitlistEntry.status)).all()
        )
        assert entries == {first.id: WaitlistStatus.ACTIVE, second.id: WaitlistStatus.BOOKED}
    assert [s for _, s, _ in offers_of(app)] == ["taken", "claimed"]
    with pytest.raises(OfferTaken):
        claim(app, first, first_offer, now)


def test_two_claims_at_once_give_one_appointment(app, waiting, held, desk, now, monkeypatch):
    first, second = waiting(2)
    cancel(app, held, desk, now)
    (_, _, first_offer), (_, _, second_offer) = offers_of(app)
    # Both claims have read their offer as open before either takes the write lock.
    barrier = threading.Barrier(2, timeout=30)
    original = booking.begin_write

    def wait_then_lock(*args, **kwargs):
        barrier.wait()
        original(*args, **kwargs)

    monkeypatch.setattr(booking, "begin_write", wait_then_lock)
    results = [None, None]

    def run(i, patient, offer_id):
        with app.app_context():
            try:
                results[i] = claim(app, patient, offer_id, now)
            except Exception as error:
                results[i] = error
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(0, first, first_offer)),
        threading.Thread(target=run, args=(1, second, second_offer)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, OfferTaken) for r in results) == 1, results
    with app.app_context():
        holding = db.session.scalars(
            select(Appointment).where(
                Appointment.starts_at == held.starts_at,
                Appointment.status == AppointmentStatus.REQUESTED,
            )
        ).all()
        assert len(holding) == 1
    assert sorted(s for _, s, _ in offers_of(app)) == ["claimed", "taken"]


def test_an_expired_offer_is_refused_and_the_next_patient_is_offered(app, waiting, held, desk, now):
    first, second, third = waiting(3)
    cancel(app, held, desk, now)
    (_, _, first_offer), _ = offers_of(app)
    later = now + current_settings_offer_life(app) + timedelta(minutes=1)

    with pytest.raises(OfferExpired):
        claim(app, first, first_offer, later)

    with app.app_context():
        assert waitlist_offers.expire_due(settings=current_settings(), now=later) == 2
    offers = offers_of(app)
    assert [(p, s) for p, s, _ in offers] == [
        (first.id, "expired"),
        (second.id, "expired"),
        (third.id, "offered"),
    ]
    assert third.email in {r for r, _, _ in offer_mail(app)}


def current_settings_offer_life(app) -> timedelta:
    with app.app_context():
        return current_settings().waitlist_offer_life


def test_someone_elses_offer_reads_as_missing(app, waiting, held, desk, now, ready_patient):
    waiting(1)
    cancel(app, held, desk, now)
    [(_, _, offer_id)] = offers_of(app)
    with pytest.raises(LookupError):
        claim(app, ready_patient(), offer_id, now)
    assert [s for _, s, _ in offers_of(app)] == [OfferStatus.OFFERED]


def test_the_demo_seed_adds_a_waiting_patient_with_an_open_offer(app, clinic, ready_patient, now):
    from intake.models import AppointmentType, Location, Provider
    from intake.services.free_times import SlotChoice

    patient = ready_patient()
    starts_at = next_weekday_at(now, 11, days_ahead=5)
    with app.app_context():
        choice = SlotChoice(
            db.session.get(Provider, clinic.provider.id),
            db.session.get(Location, clinic.location.id),
            db.session.get(AppointmentType, clinic.type.id),
        )
        waitlist_offers.seed_entry_with_offer(
            patient.id, choice, starts_at, ["morning"], settings=current_settings(), now=now
        )
        db.session.commit()
    assert [(p, s) for p, s, _ in offers_of(app)] == [(patient.id, "offered")]


def test_the_mail_worker_expires_offers_and_offers_the_time_on(app, runner, waiting, held, desk):
    *_, third = waiting(3)
    app.config["INTAKE_WAITLIST_OFFER_HOURS"] = 0  # offers run out as soon as they are made
    cancel(app, held, desk, datetime.now(UTC))

    result = runner.invoke(args=["outbox", "work", "--once"])

    assert "waitlist offers expired 2" in result.output
    assert [(p, s) for p, s, _ in offers_of(app)][-1] == (third.id, "offered")


def test_the_patient_who_lets_a_time_go_is_not_offered_it_back(
    app, clinic, waiting, make_appointment, desk, now, freed_at
):
    first, second = waiting(2)
    # The first waiting patient already holds the time (booked by phone) and cancels it.
    own = make_appointment(
        first,
        clinic.provider,
        clinic.location,
        clinic.type,
        freed_at,
        status=AppointmentStatus.CONFIRMED,
    )
    cancel(app, own, desk, now)

    assert [(p, s) for p, s, _ in offers_of(app)] == [(second.id, "offered")]
