"""Once the desk has spoken with a patient and closed their callback as cleared to book, it
books the visit for them: a free time from the same engine, saved confirmed under the same
safety checks as confirming, with its history, audit row, the patient's email and the
callback linked to it. Anything refused is said in words, with nothing written."""

import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    Callback,
    OutboxMessage,
    utcnow,
)
from intake.permissions import Role
from tests.support.clock import CLINIC_ZONE, at, next_weekday_at, weekdays_ahead
from tests.support.desk import appointments_of, booking, signed_in, slot
from tests.support.mailbox import deliver_outbox


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


def callback_of(app, patient) -> Callback:
    with app.app_context():
        callback = db.session.scalars(
            select(Callback).where(Callback.patient_id == patient.id).order_by(Callback.id.desc())
        ).first()
        db.session.expunge_all()
    return callback


def call_and_clear(client, callback_id: int) -> None:
    url = f"/staff/callbacks/{callback_id}"
    logged = client.post(
        f"{url}/call",
        data={"outcome": "spoke_with_patient", "advice": "Night pain checked; fine to needle."},
    )
    assert logged.status_code == 302
    closed = client.post(f"{url}/close", data={"outcome": "cleared_to_book", "note": ""})
    assert closed.status_code == 302


def audit_actions(app, patient) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.patient_id == patient.id)
                .order_by(AuditEvent.id)
            )
        )


@pytest.fixture
def red_flag_patient(ready_patient):
    """Consent signed; a red flag answered (night pain), so the desk had to call."""
    return ready_patient(night_pain="yes")


@pytest.fixture
def cleared(app, desk, red_flag_patient):
    client = signed_in(app, desk)
    callback = callback_of(app, red_flag_patient)
    call_and_clear(client, callback.id)
    return red_flag_patient, callback, client


def test_the_desk_books_a_confirmed_visit_from_a_cleared_callback(
    app, clinic, cleared, desk, smtp_server
):
    patient, callback, client = cleared
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    page = client.get(f"/staff/callbacks/{callback.id}").get_data(as_text=True)
    assert "Book for this patient" in page
    url = f"/staff/callbacks/{callback.id}/book"
    times = client.get(
        url,
        query_string={
            "provider": clinic.provider.id,
            "location": clinic.location.id,
            "type": clinic.type.id,
        },
    )
    assert times.status_code == 200
    text = times.get_data(as_text=True)
    assert "Free times for Dry needling follow-up with Ben Durham at Durham Central" in text
    assert f'name="start" value="{slot(start)}"' in text

    answer = client.post(url, data=booking(clinic, start))

    assert answer.status_code == 302
    appointment_id = int(re.search(r"/staff/requests/(\d+)", answer.headers["Location"])[1])
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Booked and confirmed" in shown
    with app.app_context():
        visit = db.session.get(Appointment, appointment_id)
        assert (visit.patient_id, visit.status, visit.starts_at) == (
            patient.id,
            AppointmentStatus.CONFIRMED,
            start,
        )
        assert visit.urgent  # what the patient answered travels with the visit
        [event] = db.session.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment_id)
        ).all()
        assert event.actor_id == desk.id
        assert "booked by Dana Reyes for the patient after a call" in event.detail
        assert db.session.get(Callback, callback.id).appointment_id == appointment_id
        booked = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booked_for_patient")
        ).one()
        assert (booked.actor_id, booked.object_id, booked.patient_id) == (
            desk.id,
            appointment_id,
            patient.id,
        )

    # The worker sends the patient's confirmation, with the calendar file.
    deliver_outbox(app)
    [email] = [m for m in smtp_server.messages if m["To"] == patient.email]
    assert "confirmed" in email["Subject"].lower()
    [attachment] = [
        part for part in email.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == start


def test_an_open_callback_offers_no_booking_and_refuses_one_in_words(
    app, clinic, desk, red_flag_patient
):
    callback = callback_of(app, red_flag_patient)
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    assert "Book for this patient" not in client.get(f"/staff/callbacks/{callback.id}").get_data(
        as_text=True
    )
    page = client.get(f"/staff/callbacks/{callback.id}/book")
    assert page.status_code == 409
    assert "cleared to book" in page.get_data(as_text=True)
    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "Only a callback closed as" in answer.get_data(as_text=True)
    assert appointments_of(app, red_flag_patient) == []


def test_other_outcomes_are_refused_too(app, clinic, desk, red_flag_patient):
    callback = callback_of(app, red_flag_patient)
    client = signed_in(app, desk)
    client.post(f"/staff/callbacks/{callback.id}/close", data={"outcome": "not_suitable"})
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert appointments_of(app, red_flag_patient) == []


def test_a_time_taken_meanwhile_is_refused_with_the_next_free_one_and_nothing_written(
    app, clinic, cleared, make_user, make_appointment
):
    patient, callback, client = cleared
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    page = client.get(f"/staff/callbacks/{callback.id}/book").get_data(as_text=True)
    assert f'value="{slot(start)}"' in page  # free when the page was shown
    other = make_user(first_name="Quick", last_name="Caller")
    make_appointment(
        other,
        clinic.provider,
        clinic.location,
        clinic.type,
        start,
        status=AppointmentStatus.CONFIRMED,
    )
    before = audit_actions(app, patient)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "Another appointment now holds that time." in text
    assert "Next free times" in text
    assert appointments_of(app, patient) == []
    assert "booked_for_patient" not in audit_actions(app, patient)[len(before) :]
    assert callback_of(app, patient).appointment_id is None
    with app.app_context():
        assert (
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient == patient.email)
            ).all()
            == []
        )


def test_the_databases_no_overlap_rule_is_the_last_guard(
    app, clinic, cleared, make_user, make_appointment, monkeypatch
):
    """Someone took the time between the check and the write: the constraint refuses it."""
    from intake.services import staff_booking

    patient, callback, client = cleared
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    make_appointment(
        make_user(),
        clinic.provider,
        clinic.location,
        clinic.type,
        start,
        status=AppointmentStatus.CONFIRMED,
    )
    monkeypatch.setattr(staff_booking, "still_free", lambda *args, **kwargs: None)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "Another appointment now holds that time." in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []
    assert callback_of(app, patient).appointment_id is None


def test_an_urgent_patient_is_booked_only_after_a_call_on_the_callback(
    app, clinic, desk, red_flag_patient
):
    client = signed_in(app, desk)
    callback = callback_of(app, red_flag_patient)
    refused = client.post(
        f"/staff/callbacks/{callback.id}/close", data={"outcome": "cleared_to_book"}
    )
    assert refused.status_code == 409  # an urgent callback closes only after a call
    # One closed without a call before that rule still books nobody.
    with app.app_context():
        closed = db.session.get(Callback, callback.id)
        closed.status, closed.outcome, closed.closed_at = "closed", "cleared_to_book", utcnow()
        db.session.commit()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "log a call on the callback before booking" in answer.get_data(as_text=True)
    assert appointments_of(app, red_flag_patient) == []


# --- the safety checks of confirming ------------------------------------------------------


@pytest.fixture
def without_consent(app, desk, consent_v1, ready_patient):
    """Night pain answered, cleared by phone, but the consent to dry needling withdrawn: a
    "no" that only a conversation changes (a consent never signed makes the visit forms
    pending instead, tests/views/test_forms_pending.py)."""
    from intake.models import ConsentWithdrawal, SignedConsent
    from tests.conftest import persist

    patient = ready_patient(night_pain="yes")
    with app.app_context():
        consent = db.session.scalars(
            select(SignedConsent).where(SignedConsent.patient_id == patient.id)
        ).one()
        consent_id = consent.id
    persist(app, ConsentWithdrawal(consent_id=consent_id, reason="", ip_address="127.0.0.1"))
    callback = callback_of(app, patient)
    call_and_clear(signed_in(app, desk), callback.id)
    return patient, callback


def test_withdrawn_consent_is_refused_in_words_and_the_desk_cannot_override(
    app, clinic, desk, without_consent
):
    patient, callback = without_consent
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    url = f"/staff/callbacks/{callback.id}/book"
    assert "consent" in client.get(url).get_data(as_text=True).lower()

    answer = client.post(url, data=booking(clinic, start, override_reason="Patient said yes."))

    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "consent" in text.lower()
    assert "Book with this override" not in text  # only an admin may
    assert appointments_of(app, patient) == []
    assert "book_for_patient_refused" in audit_actions(app, patient)


def test_an_admin_overrides_withdrawn_consent_with_a_reason(
    app, clinic, make_user, without_consent
):
    patient, callback = without_consent
    admin = make_user(Role.ADMIN, first_name="Alex", last_name="Admin")
    client = signed_in(app, admin)
    start = next_weekday_at(datetime.now(UTC), 11, days_ahead=3)
    url = f"/staff/callbacks/{callback.id}/book"

    refused = client.post(url, data=booking(clinic, start))
    assert refused.status_code == 409
    assert "To book it anyway, give the reason for overriding." in refused.get_data(as_text=True)
    assert "Book with this override" in refused.get_data(as_text=True)
    answer = client.post(
        url, data=booking(clinic, start, override_reason="Paper consent signed at the desk.")
    )

    assert answer.status_code == 302
    [visit] = appointments_of(app, patient)
    assert visit.status == AppointmentStatus.CONFIRMED
    with app.app_context():
        detail = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "safety_overridden")
        ).one()
        event = db.session.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == visit.id)
        ).one()
    assert detail["override_reason"] == "Paper consent signed at the desk."
    assert "Paper consent signed at the desk." in event.detail


def test_precautions_still_need_a_therapists_review_before_a_confirmed_booking(
    app, clinic, desk, ready_patient
):
    """A call clears the red flag, not the precautions: the therapist who needles does."""
    patient = ready_patient(night_pain="yes", anticoagulants="yes")
    client = signed_in(app, desk)
    callback = callback_of(app, patient)
    call_and_clear(client, callback.id)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "A therapist must review this patient" in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []


def test_a_provider_without_a_current_attestation_is_not_offered_for_dry_needling(
    app, clinic, cleared, make_provider, make_user
):
    from datetime import time

    patient, callback, client = cleared
    unattested = make_provider(
        "Una Trained",
        [clinic.location],
        user=make_user(Role.THERAPIST, first_name="Una"),
        hours=[(clinic.location, day, time(13), time(17)) for day in range(5)],
        attested_on=None,
    )
    url = f"/staff/callbacks/{callback.id}/book"
    chosen = {"provider": unattested.id, "location": clinic.location.id, "type": clinic.type.id}
    page = client.get(url, query_string=chosen).get_data(as_text=True)
    assert "Una Trained is not offering dry needling at the moment" in page
    start = next_weekday_at(datetime.now(UTC), 14, days_ahead=3)

    answer = client.post(url, data={**{k: str(v) for k, v in chosen.items()}, "start": slot(start)})

    assert answer.status_code == 409
    assert "not offering dry needling" in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST])
def test_patients_and_therapists_cannot_book_for_a_patient(app, clinic, cleared, make_user, role):
    patient, callback, _ = cleared
    visitor = patient if role is Role.PATIENT else make_user(role)
    client = signed_in(app, visitor)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    url = f"/staff/callbacks/{callback.id}/book"

    assert client.get(url).status_code == 403
    assert client.post(url, data=booking(clinic, start)).status_code == 403
    assert appointments_of(app, patient) == []


def test_a_missing_callback_is_404(app, desk):
    client = signed_in(app, desk)
    assert client.get("/staff/callbacks/999999/book").status_code == 404


def test_a_deactivated_patient_is_not_booked_for(app, clinic, cleared):
    from intake.models import User

    patient, callback, client = cleared
    with app.app_context():
        db.session.get(User, patient.id).active = False
        db.session.commit()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "not an active patient" in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []


def test_the_booking_page_runs_as_many_queries_for_2_or_8_visits_that_week(
    app, clinic, cleared, make_user, make_appointment, count_queries
):
    _, callback, client = cleared
    url = f"/staff/callbacks/{callback.id}/book"
    now = datetime.now(UTC)

    days = weekdays_ahead(now, 5, days_ahead=1)

    def add(count: int, hour: int):
        # One visit per weekday at `hour`: distinct days never clash, whatever today is.
        for day in days[:count]:
            start = at(day, hour, 0, CLINIC_ZONE)
            make_appointment(make_user(), clinic.provider, clinic.location, clinic.type, start)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    add(2, 9)
    client.get(url)  # warm up
    two = queries()
    add(3, 10)
    add(3, 11)
    eight = queries()
    assert two == eight
    assert eight <= 20
