"""Requesting, cancelling and moving appointments: free times only, ready patients only."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intake.config import current_settings
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AppointmentType,
    ConsentWithdrawal,
    Location,
    OutboxMessage,
    Provider,
    SignedConsent,
    TimeOff,
)
from intake.services import booking
from intake.services.booking import cancel_by_patient, move_by_patient, request_appointment
from intake.services.errors import BookingError, ChangedMeanwhile, NotReady, SlotTaken, TooLate
from intake.services.free_times import (
    SlotChoice,
    provider_by_slug,
    resolve_choice,
    rules_for,
    slots_between,
)
from intake.services.outbox import calendar_file
from intake.services.readiness import StepName
from tests.conftest import persist

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 9:00 AM in Durham (EST)
DURHAM_OFFSET = timedelta(hours=5)  # EST all December


def durham(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 wall-clock time in Durham, as the aware UTC instant the service takes."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) + DURHAM_OFFSET


TUESDAY_9 = durham(8, 9)  # the first bookable slot: exactly NOW + 24 hours of notice
WEDNESDAY_10 = durham(9, 10)
THURSDAY_10 = durham(10, 10)


# --- helpers --------------------------------------------------------------------------------


def book(app, clinic, patient, starts_at, *, kind=None, location=None, now=NOW, note=""):
    """Ask for a slot with the clinic's provider; returns the stored appointment's id."""
    with app.app_context():
        choice = resolve_choice(
            provider_by_slug(clinic.provider.slug),
            (location or clinic.location).id,
            (kind or clinic.type).id,
        )
        appointment = request_appointment(
            patient, choice, starts_at, note=note, settings=current_settings(), now=now
        )
        return appointment.id


def rules(clinic):
    """The online booking rules for the clinic's type, inside an app context."""
    return rules_for(clinic.type, current_settings())


def rows(app, model, *where, order_by=None):
    with app.app_context():
        found = list(db.session.scalars(select(model).where(*where).order_by(order_by or model.id)))
        db.session.expunge_all()
    return found


def one(app, model, ident):
    with app.app_context():
        row = db.session.get(model, ident)
        db.session.expunge_all()
    return row


def written(app) -> tuple[int, int, int]:
    """How many appointments, events and emails the database holds."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Appointment, AppointmentEvent, OutboxMessage)
        )


def calendar_of(message: OutboxMessage):
    calendar = Calendar.from_ical(calendar_file(message))
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def on_grid(slot: datetime) -> bool:
    return slot.minute % 15 == 0 and slot.second == 0 and slot.microsecond == 0


def choice_of(clinic) -> SlotChoice:
    """The clinic's provider, place and type, loaded in the current app context."""
    return SlotChoice(
        db.session.get(Provider, clinic.provider.id),
        db.session.get(Location, clinic.location.id),
        db.session.get(AppointmentType, clinic.type.id),
    )


@pytest.fixture
def other_patient(make_user):
    return make_user(first_name="Sam", last_name="Other")


# --- a request is stored with everything staff need -----------------------------------------


def test_a_request_stores_the_visit_times_the_screening_and_the_consent(app, clinic, ready_patient):
    maria = ready_patient(anticoagulants="yes", anticoagulants_detail="Warfarin 5 mg daily")
    appointment_id = book(app, clinic, maria, TUESDAY_9, note="  Mornings suit me.  ")

    stored = one(app, Appointment, appointment_id)
    (consent,) = rows(app, SignedConsent, SignedConsent.patient_id == maria.id)
    assert stored.status == AppointmentStatus.REQUESTED
    assert (stored.patient_id, stored.provider_id) == (maria.id, clinic.provider.id)
    assert (stored.location_id, stored.type_id) == (clinic.location.id, clinic.type.id)
    assert stored.starts_at == TUESDAY_9
    assert stored.ends_at == TUESDAY_9 + timedelta(minutes=30)
    assert stored.blocks_until == TUESDAY_9 + timedelta(minutes=40)
    assert stored.patient_note == "Mornings suit me."
    assert stored.consent_id == consent.id
    assert stored.intake_id is not None
    assert stored.needs_review is True
    assert stored.urgent is False
    assert stored.revision == 1
    assert stored.screening_snapshot["findings"] == [
        {
            "key": "anticoagulants",
            "level": "precaution",
            "reason": "Higher risk of bleeding or bruising at needle sites.",
            "detail": "Warfarin 5 mg daily",
        }
    ]


def test_the_request_the_service_returns_is_the_row_stored(app, clinic, ready_patient):
    """The request is written by a plain INSERT and held as though read back: every column
    it holds is what the database stored, and a column with a model default has it."""
    maria = ready_patient()
    columns = Appointment.__table__.c
    with app.app_context():
        choice = choice_of(clinic)
        returned = request_appointment(
            maria, choice, TUESDAY_9, settings=current_settings(), now=NOW
        )
        held = {column.key: getattr(returned, column.key) for column in columns}
        db.session.expunge_all()
        stored = db.session.get(Appointment, held["id"])
        assert held == {column.key: getattr(stored, column.key) for column in columns}
    assert stored.revision == 1 and stored.review_note == ""
    assert stored.reminder_sent_at is None and stored.review_outcome is None


@pytest.mark.parametrize(
    ("answers", "needs_review", "urgent"),
    [
        ({}, False, False),
        ({"anticoagulants": "yes"}, True, False),
        ({"night_pain": "yes"}, False, True),
    ],
    ids=["plain", "blood-thinners", "night-pain"],
)
def test_the_request_flags_what_the_intake_says(
    app, clinic, ready_patient, answers, needs_review, urgent
):
    appointment_id = book(app, clinic, ready_patient(**answers), TUESDAY_9)
    stored = one(app, Appointment, appointment_id)
    assert (stored.needs_review, stored.urgent) == (needs_review, urgent)


def test_a_request_records_one_event_by_the_patient(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, TUESDAY_9)
    (event,) = rows(app, AppointmentEvent)
    assert event.appointment_id == appointment_id
    assert event.action == "requested"
    assert event.actor_id == maria.id
    assert (event.from_status, event.to_status) == (None, AppointmentStatus.REQUESTED)
    assert event.at == NOW


def test_the_patient_the_provider_and_the_front_desk_are_emailed_an_invitation(
    app, clinic, ready_patient
):
    maria = ready_patient(anticoagulants="yes", anticoagulants_detail="Warfarin 5 mg daily")
    appointment_id = book(app, clinic, maria, TUESDAY_9)

    messages = rows(app, OutboxMessage)
    assert sorted(m.recipient for m in messages) == sorted(
        [maria.email, "ben@example.org", app.config["INTAKE_FRONT_DESK_EMAIL"]]
    )
    assert {m.kind for m in messages} == {"requested", "staff_requested"}
    for message in messages:
        assert message.appointment_id == appointment_id
        assert message.sent_at is None
        calendar, event = calendar_of(message)
        assert calendar["METHOD"] == "REQUEST"
        assert message.ics_method == "REQUEST"
        assert event.decoded("DTSTART") == TUESDAY_9
        assert str(event["STATUS"]) == "TENTATIVE"
        # Email is not a secure channel: nothing from the screening goes in it.
        for text in (message.subject, message.body, calendar_file(message)):
            assert "Warfarin" not in text
            assert "bleeding" not in text.lower()
            assert "anticoagulant" not in text.lower()


# --- somebody else was quicker ---------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [durham(8, 10), durham(8, 10, 15), durham(8, 9, 30), durham(8, 10, 30)],
    ids=["same-start", "inside-the-visit", "new-buffer-runs-into-it", "inside-its-buffer"],
)
def test_a_time_another_patient_holds_is_taken_and_later_free_times_are_offered(
    app, clinic, ready_patient, other_patient, make_appointment, attempt
):
    # The other visit holds 10:00-10:30 and its buffer until 10:40.
    held = make_appointment(
        other_patient, clinic.provider, clinic.location, clinic.type, durham(8, 10)
    )
    before = written(app)

    with pytest.raises(SlotTaken) as taken:
        book(app, clinic, ready_patient(), attempt)

    assert written(app) == before
    offered = taken.value.next_free
    assert offered, "a taken time should come with other times to choose"
    assert offered == sorted(offered)
    with app.app_context():
        day = attempt.astimezone(ZoneInfo(clinic.location.timezone)).date()
        free = set(
            slots_between(choice_of(clinic), day, day + timedelta(days=14), NOW, rules(clinic))
        )
    for slot in offered:
        assert slot > attempt
        assert on_grid(slot)
        assert slot in free
        blocks = slot + timedelta(minutes=40)
        assert blocks <= held.starts_at or slot >= held.blocks_until


def test_times_just_clear_of_another_visit_and_its_buffer_can_be_booked(
    app, clinic, ready_patient, other_patient, make_appointment
):
    make_appointment(other_patient, clinic.provider, clinic.location, clinic.type, durham(8, 10))
    book(app, clinic, ready_patient(), durham(8, 9, 15))  # ends with its buffer at 9:55
    book(app, clinic, ready_patient(), durham(8, 10, 45))  # the other buffer ends 10:40
    assert written(app)[0] == 3


def test_a_time_booked_while_the_patient_was_being_read_is_refused_under_the_lock(
    app, clinic, ready_patient, other_patient, make_appointment, monkeypatch
):
    """Readiness is read before the write lock, so another worker can book the time in
    between; the check under the lock sees it (on SQLite the stale read is ended first)."""
    lock_for_real = booking.begin_write

    def someone_books_first(*args, **kwargs):
        make_appointment(other_patient, clinic.provider, clinic.location, clinic.type, TUESDAY_9)
        return lock_for_real(*args, **kwargs)

    monkeypatch.setattr(booking, "begin_write", someone_books_first)
    with pytest.raises(SlotTaken) as taken:
        book(app, clinic, ready_patient(), TUESDAY_9)
    assert taken.value.next_free
    (stored,) = rows(app, Appointment)
    assert stored.patient_id == other_patient.id
    assert written(app) == (1, 0, 0)


def test_asking_twice_for_the_same_time_gives_back_the_same_request(app, clinic, ready_patient):
    maria = ready_patient()
    first = book(app, clinic, maria, TUESDAY_9)
    again = book(app, clinic, maria, TUESDAY_9)
    assert again == first
    assert written(app) == (1, 1, 3)


# --- times and choices that cannot be booked online -----------------------------------------


@pytest.mark.parametrize(
    "starts_at",
    [
        durham(4, 10),  # last Friday
        NOW - timedelta(minutes=15),
        durham(7, 11),  # later today, inside the 24 hours' notice
        durham(9, 8, 45),  # before work starts
        durham(8, 13),  # after working hours
        durham(8, 11, 45),  # would run past noon
        durham(12, 10),  # a Saturday
        durham(8, 9, 5),  # off the 15-minute grid
        NOW + timedelta(days=63),  # a Monday 9:00 AM past the 60-day horizon
    ],
    ids=[
        "past-day",
        "just-past",
        "short-notice",
        "before-hours",
        "after-hours",
        "runs-past-closing",
        "weekend",
        "off-grid",
        "beyond-horizon",
    ],
)
def test_a_time_that_was_never_offered_is_refused_and_nothing_is_written(
    app, clinic, ready_patient, starts_at
):
    maria = ready_patient()
    with pytest.raises(BookingError) as refused:
        book(app, clinic, maria, starts_at)
    assert not isinstance(refused.value, SlotTaken | NotReady)
    assert written(app) == (0, 0, 0)


def test_a_time_without_a_time_zone_is_refused_as_a_booking_error(app, clinic, ready_patient):
    maria = ready_patient()
    with pytest.raises(BookingError):
        book(app, clinic, maria, TUESDAY_9.replace(tzinfo=None))
    assert written(app) == (0, 0, 0)


def test_a_time_during_the_providers_time_off_is_refused(app, clinic, ready_patient):
    persist(
        app,
        TimeOff(
            provider_id=clinic.provider.id,
            starts_at=durham(8, 0),
            ends_at=durham(9, 0),
            reason="Conference",
        ),
    )
    with pytest.raises(BookingError) as refused:
        book(app, clinic, ready_patient(), TUESDAY_9)
    assert not isinstance(refused.value, SlotTaken)
    assert written(app) == (0, 0, 0)


def test_a_location_the_provider_does_not_work_at_is_refused(
    app, clinic, ready_patient, make_location
):
    raleigh = make_location("27601", name="Raleigh", timezone="America/New_York")
    with pytest.raises(BookingError, match="does not see patients at that location"):
        book(app, clinic, ready_patient(), TUESDAY_9, location=raleigh)
    assert written(app) == (0, 0, 0)


def test_an_inactive_type_is_refused(app, clinic, ready_patient, make_type):
    retired = make_type(name="Old package", active=False)
    with pytest.raises(BookingError, match="appointment types we offer"):
        book(app, clinic, ready_patient(), TUESDAY_9, kind=retired)
    assert written(app) == (0, 0, 0)


def test_an_unknown_type_or_provider_is_refused(app, clinic, ready_patient):
    maria = ready_patient()
    with app.app_context():
        with pytest.raises(BookingError, match="appointment types we offer"):
            resolve_choice(provider_by_slug(clinic.provider.slug), clinic.location.id, 987654)
        assert provider_by_slug("nobody") is None
    with pytest.raises(BookingError, match="appointment types we offer"):
        book(app, clinic, maria, TUESDAY_9, kind=SimpleNamespace(id=987654))
    assert written(app) == (0, 0, 0)


# --- patients who are not ready yet ----------------------------------------------------------


def test_without_an_intake_the_intake_comes_first(app, clinic, make_user, consent_v1):
    with pytest.raises(NotReady) as missing:
        book(app, clinic, make_user(), TUESDAY_9)
    assert missing.value.step.name == "intake"
    assert missing.value.step.name is StepName.INTAKE
    assert written(app) == (0, 0, 0)


def test_with_an_intake_but_no_consent_the_consent_comes_next(
    app, clinic, make_user, make_intake, consent_v1
):
    patient = make_user()
    make_intake(patient)
    with pytest.raises(NotReady) as missing:
        book(app, clinic, patient, TUESDAY_9)
    assert missing.value.step.name == "consent"
    assert missing.value.step.name is StepName.CONSENT
    assert written(app) == (0, 0, 0)


def test_a_withdrawn_consent_no_longer_counts(app, clinic, ready_patient):
    maria = ready_patient()
    (consent,) = rows(app, SignedConsent, SignedConsent.patient_id == maria.id)
    persist(app, ConsentWithdrawal(consent_id=consent.id, ip_address="127.0.0.1"))
    with pytest.raises(NotReady) as missing:
        book(app, clinic, maria, TUESDAY_9)
    assert missing.value.step.name == "consent"
    assert written(app) == (0, 0, 0)


@pytest.mark.parametrize(("days_later", "asked_again"), [(364, False), (366, True)])
def test_a_consent_older_than_a_year_is_asked_for_again(
    app, clinic, ready_patient, days_later, asked_again
):
    """INTAKE_CONSENT_MAX_AGE_DAYS is 365: a year and a day after signing, sign again."""
    maria = ready_patient()
    (consent,) = rows(app, SignedConsent, SignedConsent.patient_id == maria.id)
    now = consent.signed_at + timedelta(days=days_later)
    # The first Tuesday at least two days on, 9:00 in Durham (EST in winter: 14:00 UTC).
    day = (now + timedelta(days=2)).date()
    day += timedelta(days=(1 - day.weekday()) % 7)
    start = datetime.combine(day, time(14), tzinfo=UTC)
    if not asked_again:
        assert book(app, clinic, maria, start, now=now)
        return
    with pytest.raises(NotReady) as missing:
        book(app, clinic, maria, start, now=now)
    assert missing.value.step.name == "consent"
    assert missing.value.step.name is StepName.CONSENT
    assert written(app) == (0, 0, 0)


def test_a_patient_afraid_of_needles_must_call_first(app, clinic, ready_patient):
    with pytest.raises(NotReady) as missing:
        book(app, clinic, ready_patient(needle_phobia="yes"), TUESDAY_9)
    assert missing.value.step.name is StepName.SCREENING  # no page to send them to: a call
    assert written(app) == (0, 0, 0)


def test_a_visit_without_needles_needs_no_consent(
    app, clinic, make_user, make_intake, make_type, consent_v1
):
    patient = make_user()
    make_intake(patient)
    assessment = make_type(name="Assessment", involves_dry_needling=False)
    appointment_id = book(app, clinic, patient, TUESDAY_9, kind=assessment)
    stored = one(app, Appointment, appointment_id)
    assert stored.status == AppointmentStatus.REQUESTED
    assert stored.consent_id is None


# --- ended appointments free their time ------------------------------------------------------


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.DECLINED])
def test_a_cancelled_or_declined_appointment_frees_its_time(
    app, clinic, ready_patient, other_patient, make_appointment, status
):
    make_appointment(
        other_patient, clinic.provider, clinic.location, clinic.type, TUESDAY_9, status=status
    )
    appointment_id = book(app, clinic, ready_patient(), TUESDAY_9)
    assert one(app, Appointment, appointment_id).status == AppointmentStatus.REQUESTED


# --- a patient cancels -----------------------------------------------------------------------


def current_revision(app, appointment_id) -> int:
    """What the patient's page would show (1 when the appointment is not there to see)."""
    with app.app_context():
        found = db.session.get(Appointment, appointment_id)
        return found.revision if found else 1


def cancel(app, patient, appointment_id, reason="Feeling better", now=NOW, seen=None):
    seen = current_revision(app, appointment_id) if seen is None else seen
    with app.app_context():
        cancel_by_patient(
            patient, appointment_id, seen, reason, settings=current_settings(), now=now
        )


def test_cancelling_marks_it_cancelled_records_why_and_tells_everyone(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    later = NOW + timedelta(hours=1)

    cancel(app, maria, appointment_id, "  My calf is better.  ", now=later)

    stored = one(app, Appointment, appointment_id)
    assert stored.status == AppointmentStatus.CANCELLED
    assert stored.revision == 2
    assert stored.updated_at == later
    event = rows(app, AppointmentEvent, order_by=AppointmentEvent.id)[-1]
    assert event.action == "cancelled"
    assert event.actor_id == maria.id
    assert (event.from_status, event.to_status) == ("requested", "cancelled")
    assert event.detail == "My calf is better."

    cancelled = rows(app, OutboxMessage, OutboxMessage.kind.in_(["cancelled", "staff_cancelled"]))
    assert sorted(m.recipient for m in cancelled) == sorted(
        [maria.email, "ben@example.org", app.config["INTAKE_FRONT_DESK_EMAIL"]]
    )
    for message in cancelled:
        calendar, event = calendar_of(message)
        assert calendar["METHOD"] == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["SEQUENCE"] == 2


def test_a_cancelled_time_can_be_taken_by_another_patient(app, clinic, ready_patient):
    maria = ready_patient()
    cancel(app, maria, book(app, clinic, maria, WEDNESDAY_10))
    book(app, clinic, ready_patient(), WEDNESDAY_10)
    assert [a.status for a in rows(app, Appointment)] == ["cancelled", "requested"]


def test_inside_the_cut_off_a_patient_must_call_to_cancel(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    before = written(app)
    with pytest.raises(TooLate):
        cancel(app, maria, appointment_id, now=WEDNESDAY_10 - timedelta(hours=23, minutes=59))
    assert one(app, Appointment, appointment_id).status == AppointmentStatus.REQUESTED
    assert written(app) == before


def test_exactly_at_the_cut_off_a_patient_may_still_cancel(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    cancel(app, maria, appointment_id, now=WEDNESDAY_10 - timedelta(hours=24))
    assert one(app, Appointment, appointment_id).status == AppointmentStatus.CANCELLED


def test_nobody_can_cancel_someone_elses_appointment(app, clinic, ready_patient, other_patient):
    appointment_id = book(app, clinic, ready_patient(), WEDNESDAY_10)
    before = written(app)
    with pytest.raises(LookupError):
        cancel(app, other_patient, appointment_id)
    assert one(app, Appointment, appointment_id).status == AppointmentStatus.REQUESTED
    assert written(app) == before


def test_a_cancel_from_a_page_older_than_the_clinics_change_is_refused(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    page_seen = current_revision(app, appointment_id)
    confirm_directly(app, appointment_id)
    before = written(app)

    with pytest.raises(ChangedMeanwhile, match="changed meanwhile; here it is as it stands now"):
        cancel(app, maria, appointment_id, seen=page_seen)

    assert one(app, Appointment, appointment_id).status == AppointmentStatus.CONFIRMED
    assert written(app) == before


def test_a_change_through_the_orm_bumps_the_revision_once(app, clinic, ready_patient):
    """version_id_col: the UPDATE checks the revision it read, and moves it on by one."""
    appointment_id = book(app, clinic, ready_patient(), WEDNESDAY_10)
    with app.app_context():
        stored = db.session.get(Appointment, appointment_id)
        stored.patient_note = "Running late"
        db.session.commit()
    assert one(app, Appointment, appointment_id).revision == 2


def test_an_appointment_cannot_be_cancelled_twice(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    cancel(app, maria, appointment_id)
    before = written(app)
    with pytest.raises(BookingError, match="already cancelled") as refused:
        cancel(app, maria, appointment_id)
    assert not isinstance(refused.value, TooLate)
    assert written(app) == before


# --- a patient moves their request -----------------------------------------------------------


def move(app, patient, appointment_id, new_start, now=NOW, seen=None):
    seen = current_revision(app, appointment_id) if seen is None else seen
    with app.app_context():
        move_by_patient(
            patient, appointment_id, seen, new_start, settings=current_settings(), now=now
        )


def confirm_directly(app, appointment_id):
    """What the front desk's confirmation leaves behind."""
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        appointment.status = AppointmentStatus.CONFIRMED  # the ORM moves the revision on
        db.session.commit()


def test_moving_takes_the_new_time_and_needs_confirming_again(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    confirm_directly(app, appointment_id)
    (first_invite,) = rows(app, OutboxMessage, OutboxMessage.kind == "requested")

    move(app, maria, appointment_id, THURSDAY_10)

    stored = one(app, Appointment, appointment_id)
    assert stored.status == AppointmentStatus.REQUESTED
    assert stored.starts_at == THURSDAY_10
    assert stored.ends_at == THURSDAY_10 + timedelta(minutes=30)
    assert stored.blocks_until == THURSDAY_10 + timedelta(minutes=40)
    assert stored.revision == 3
    event = rows(app, AppointmentEvent, order_by=AppointmentEvent.id)[-1]
    assert event.action == "moved"
    assert (event.from_status, event.to_status) == ("confirmed", "requested")
    assert event.actor_id == maria.id

    (moved,) = rows(
        app, OutboxMessage, OutboxMessage.kind == "moved", OutboxMessage.recipient == maria.email
    )
    _, before = calendar_of(first_invite)
    calendar, after = calendar_of(moved)
    assert calendar["METHOD"] == "REQUEST"
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == THURSDAY_10


def test_moving_to_the_time_it_already_has_changes_nothing_and_sends_nothing(
    app, clinic, ready_patient
):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    before = written(app)
    with pytest.raises(BookingError, match="already has"):
        move(app, maria, appointment_id, WEDNESDAY_10)
    assert one(app, Appointment, appointment_id).revision == 1
    assert written(app) == before


def test_the_old_time_is_free_once_moved(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    move(app, maria, appointment_id, THURSDAY_10)
    book(app, clinic, ready_patient(), WEDNESDAY_10)
    assert written(app)[0] == 2


def test_moving_onto_someone_elses_time_is_refused(
    app, clinic, ready_patient, other_patient, make_appointment
):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    make_appointment(other_patient, clinic.provider, clinic.location, clinic.type, THURSDAY_10)
    before = written(app)

    with pytest.raises(SlotTaken) as taken:
        move(app, maria, appointment_id, THURSDAY_10 + timedelta(minutes=15))

    assert all(slot > THURSDAY_10 for slot in taken.value.next_free)
    stored = one(app, Appointment, appointment_id)
    assert (stored.starts_at, stored.revision) == (WEDNESDAY_10, 1)
    assert written(app) == before


def test_moving_a_little_later_may_overlap_its_own_old_time(app, clinic, ready_patient):
    maria = ready_patient()
    appointment_id = book(app, clinic, maria, WEDNESDAY_10)
    move(app, maria, appointment_id, WEDNESDAY_10 + timedelta(minutes=15))
    stored = one(app, Appointment, appointment_id)
    assert stored.starts_at == WEDNESDAY_10 + timedelta(minutes=15)
    assert written(app)[0] == 1


# --- the database refuses overlaps whatever code writes ---------------------------------------


@pytest.mark.parametrize(
    "second_start",
    [durham(8, 10), durham(8, 10, 20), durham(8, 10, 35), durham(8, 9, 45)],
    ids=["same-time", "inside", "inside-the-buffer", "own-buffer-runs-into-it"],
)
def test_the_database_refuses_two_holding_appointments_that_overlap(
    clinic, ready_patient, other_patient, make_appointment, second_start
):
    make_appointment(other_patient, clinic.provider, clinic.location, clinic.type, durham(8, 10))
    with pytest.raises(IntegrityError):
        make_appointment(
            ready_patient(),
            clinic.provider,
            clinic.location,
            clinic.type,
            second_start,
            status=AppointmentStatus.CONFIRMED,
        )


def test_the_database_lets_ended_touching_or_other_providers_appointments_overlap(
    app, clinic, ready_patient, other_patient, make_appointment, make_provider
):
    make_appointment(other_patient, clinic.provider, clinic.location, clinic.type, durham(8, 10))
    maria = ready_patient()
    make_appointment(
        maria,
        clinic.provider,
        clinic.location,
        clinic.type,
        durham(8, 10),
        status=AppointmentStatus.CANCELLED,
    )
    make_appointment(maria, clinic.provider, clinic.location, clinic.type, durham(8, 10, 40))
    anna = make_provider("Anna Second", [clinic.location])
    make_appointment(maria, anna, clinic.location, clinic.type, durham(8, 10))
    assert written(app)[0] == 4


# --- reading free times costs the same whatever the data -------------------------------------


def fill_with_appointments(app, clinic, patient, first: datetime, count: int) -> None:
    """One appointment every 90 minutes from `first` on, written in one go."""
    with app.app_context():
        for n in range(count):
            starts_at = first + n * timedelta(minutes=90)
            db.session.add(
                Appointment(
                    patient_id=patient.id,
                    provider_id=clinic.provider.id,
                    location_id=clinic.location.id,
                    type_id=clinic.type.id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=30),
                    blocks_until=starts_at + timedelta(minutes=40),
                    status=AppointmentStatus.CONFIRMED,
                    screening_snapshot={},
                )
            )
        db.session.commit()


def free_times_and_queries(app, clinic, count_queries, first_day, last_day):
    with app.app_context():
        choice = choice_of(clinic)
        with count_queries() as queries:
            slots = slots_between(choice, first_day, last_day, NOW, rules(clinic))
    return slots, len(queries)


def test_free_times_for_a_week_take_the_same_few_queries_however_busy_the_provider(
    app, clinic, other_patient, count_queries
):
    monday = durham(14, 0).astimezone(UTC).date()
    week = (monday, monday + timedelta(days=6))
    empty, queries_when_empty = free_times_and_queries(app, clinic, count_queries, *week)

    # 300 visits from the Friday before that week to the end of the month.
    fill_with_appointments(app, clinic, other_patient, durham(11, 0), 300)
    busy, queries_when_busy = free_times_and_queries(app, clinic, count_queries, *week)

    assert queries_when_busy == queries_when_empty
    assert queries_when_empty <= 3  # hours, bookings, time off
    assert len(busy) < len(empty)
    assert set(busy) < set(empty)


def test_working_hours_blocks_are_read_in_the_locations_own_time(app, clinic):
    with app.app_context():
        slots = slots_between(
            choice_of(clinic), TUESDAY_9.date(), TUESDAY_9.date(), NOW, rules(clinic)
        )
    local = [s.astimezone(ZoneInfo(clinic.location.timezone)).time() for s in slots]
    assert local[0] == time(9) and local[-1] == time(11, 30)
    assert len(local) == 11
