"""The front desk books a caller into a free time from the patient record: the same free times
and no-double-booking guarantee as every booking, saved confirmed and recorded as the desk's
booking. A missing intake or consent does not refuse (the visit shows "Forms pending"); an
absolute finding still does, unless an admin overrides it with a reason."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    OutboxMessage,
)
from intake.permissions import Role
from tests.support.clock import at, next_weekday_at, weekdays_ahead
from tests.support.desk import appointments_of, booking, signed_in, slot
from tests.support.mailbox import deliver_outbox


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


def test_the_desk_books_a_ready_patient_from_their_record(
    app, clinic, desk, ready_patient, smtp_server
):
    patient = ready_patient()
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    record = client.get(f"/records/patients/{patient.id}").get_data(as_text=True)
    assert f'href="/staff/patients/{patient.id}/book"' in record
    assert "Book for this patient" in record
    assert f'href="/staff/waitlist/new?patient={patient.id}"' in record  # or wait for a time
    page = client.get(f"/staff/patients/{patient.id}/book").get_data(as_text=True)
    assert "Back to the patient record" in page
    assert f'name="start" value="{slot(start)}"' in page

    answer = client.post(f"/staff/patients/{patient.id}/book", data=booking(clinic, start))

    assert answer.status_code == 302
    appointment_id = int(re.search(r"/staff/requests/(\d+)", answer.headers["Location"])[1])
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Booked and confirmed. The patient has been emailed" in shown
    with app.app_context():
        visit = db.session.get(Appointment, appointment_id)
        assert (visit.patient_id, visit.status, visit.starts_at) == (
            patient.id,
            AppointmentStatus.CONFIRMED,
            start,
        )
        [event] = db.session.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment_id)
        ).all()
        assert event.actor_id == desk.id
        assert event.detail == "booked by Dana Reyes for the patient"
        booked = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booked_for_patient")
        ).one()
        assert (booked.actor_id, booked.object_id, booked.patient_id) == (
            desk.id,
            appointment_id,
            patient.id,
        )
        assert booked.detail == {"from": "patient_record"}
    deliver_outbox(app)
    [email] = [m for m in smtp_server.messages if m["To"] == patient.email]
    assert "confirmed" in email["Subject"].lower()
    # The record lists the visit, with a link for the desk.
    record = client.get(f"/records/patients/{patient.id}").get_data(as_text=True)
    assert f'href="/staff/requests/{appointment_id}"' in record
    assert 'badge-warn">Forms pending' not in record


def test_a_caller_with_no_forms_and_no_email_is_booked_with_forms_pending(
    app, clinic, desk, make_user
):
    caller = make_user(first_name="Carl", last_name="Caller", email=None, password_hash="")
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 11, days_ahead=3)
    page = client.get(f"/staff/patients/{caller.id}/book").get_data(as_text=True)
    assert "no email on file" in page
    assert "will be refused" not in page  # a missing consent is no refusal here

    answer = client.post(f"/staff/patients/{caller.id}/book", data=booking(clinic, start))

    assert answer.status_code == 302
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "no email on file" in shown and "Forms pending" in shown
    [visit] = appointments_of(app, caller)
    assert visit.status == AppointmentStatus.CONFIRMED
    assert (visit.intake_id, visit.consent_id) == (None, None)
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        assert [kind for kind in kinds if not kind.startswith("staff_")] == []  # none to them
        assert (
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient.is_(None))).all()
            == []
        )
        history = db.session.scalars(
            select(AppointmentEvent.detail).where(AppointmentEvent.appointment_id == visit.id)
        ).all()
        assert any(line.startswith("Forms pending") for line in history)
    record = client.get(f"/records/patients/{caller.id}").get_data(as_text=True)
    assert 'badge-warn">Forms pending' in record
    assert "No email on file" in record


@pytest.fixture
def refusing_needles(make_user, make_intake, consent_v1):
    """An absolute finding: they would refuse needles."""
    patient = make_user(first_name="Nina", last_name="Needless")
    make_intake(patient, needle_phobia="yes")
    return patient


def test_an_absolute_finding_still_refuses_the_desk(app, clinic, desk, refusing_needles):
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    url = f"/staff/patients/{refusing_needles.id}/book"
    assert "will be refused" in client.get(url).get_data(as_text=True)

    answer = client.post(url, data=booking(clinic, start, override_reason="They said fine."))

    assert answer.status_code == 409
    assert "rules out dry needling" in answer.get_data(as_text=True)
    assert appointments_of(app, refusing_needles) == []
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "book_for_patient_refused")
        ).one()
        assert (refused.object_type, refused.patient_id) == ("user", refusing_needles.id)


def test_an_admin_overrides_an_absolute_finding_with_a_reason(
    app, clinic, make_user, refusing_needles
):
    admin = make_user(Role.ADMIN, first_name="Alex", last_name="Admin")
    client = signed_in(app, admin)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    url = f"/staff/patients/{refusing_needles.id}/book"

    refused = client.post(url, data=booking(clinic, start))
    assert "Book with this override" in refused.get_data(as_text=True)
    answer = client.post(url, data=booking(clinic, start, override_reason="Talked it through."))

    assert answer.status_code == 302
    [visit] = appointments_of(app, refusing_needles)
    assert visit.status == AppointmentStatus.CONFIRMED


def test_an_urgent_patient_needs_a_call_logged_first(app, clinic, desk, ready_patient):
    patient = ready_patient(night_pain="yes")
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/patients/{patient.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "log a call on their callback before booking" in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST])
def test_patients_and_therapists_cannot_book_for_a_patient(
    app, clinic, make_user, ready_patient, role
):
    patient = ready_patient()
    visitor = patient if role is Role.PATIENT else make_user(role)
    client = signed_in(app, visitor)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    url = f"/staff/patients/{patient.id}/book"

    assert client.get(url).status_code == 403
    assert client.post(url, data=booking(clinic, start)).status_code == 403
    assert appointments_of(app, patient) == []


def test_a_staff_account_or_a_missing_patient_is_404(app, clinic, desk):
    client = signed_in(app, desk)
    assert client.get(f"/staff/patients/{desk.id}/book").status_code == 404
    assert client.get("/staff/patients/999999/book").status_code == 404


def test_the_booking_page_reads_a_bounded_number_of_statements(
    app, clinic, desk, ready_patient, make_user, make_appointment, count_queries
):
    patient = ready_patient()
    client = signed_in(app, desk)
    url = f"/staff/patients/{patient.id}/book"
    days = weekdays_ahead(datetime.now(UTC), 5, days_ahead=7)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def busy(hours):
        for day in days:  # distinct weekdays, one visit an hour: never two at one time
            for hour in hours:
                start = at(day, hour)
                make_appointment(
                    make_user(),
                    clinic.provider,
                    clinic.location,
                    clinic.type,
                    start,
                    status=AppointmentStatus.CONFIRMED,
                )

    client.get(url)  # warm up
    busy([9])
    few = queries()
    busy([10, 11])
    more = queries()

    assert few == more


# --- the race with an online request --------------------------------------------------


def online_request(clinic, start) -> dict:
    return {
        "location": str(clinic.location.id),
        "type": str(clinic.type.id),
        "start": slot(start),
        "note": "",
    }


def test_an_online_request_first_leaves_the_desk_a_clear_message(
    app, clinic, desk, ready_patient, make_user, make_intake
):
    online = ready_patient()
    caller = make_user(first_name="Carl", last_name="Caller", email=None, password_hash="")
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    patient_client = signed_in(app, online)
    desk_client = signed_in(app, desk)
    desk_client.get(f"/staff/patients/{caller.id}/book")  # the desk sees the time free

    asked = patient_client.post("/book/ben/confirm", data=online_request(clinic, start))
    answer = desk_client.post(f"/staff/patients/{caller.id}/book", data=booking(clinic, start))

    assert asked.status_code == 302
    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "Another appointment now holds that time." in text
    assert "Next free times" in text
    assert appointments_of(app, caller) == []
    assert len(appointments_of(app, online)) == 1


def test_the_desk_first_leaves_the_online_patient_a_clear_message(
    app, clinic, desk, ready_patient, make_user
):
    online = ready_patient()
    caller = make_user(first_name="Carl", last_name="Caller", email=None, password_hash="")
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    patient_client = signed_in(app, online)
    desk_client = signed_in(app, desk)

    booked = desk_client.post(f"/staff/patients/{caller.id}/book", data=booking(clinic, start))
    asked = patient_client.post("/book/ben/confirm", data=online_request(clinic, start))

    assert booked.status_code == 302
    assert asked.status_code == 409
    assert "just taken" in asked.get_data(as_text=True)
    assert appointments_of(app, online) == []
    assert len(appointments_of(app, caller)) == 1


def test_when_both_pass_their_checks_the_database_lets_one_win(
    app, clinic, desk, ready_patient, make_user, monkeypatch
):
    """The online request is written between the desk's check and its write: the database's
    no-overlap rule refuses the desk's visit, which is told so in words."""
    from intake.services import staff_booking

    online = ready_patient()
    caller = make_user(first_name="Carl", last_name="Caller", email=None, password_hash="")
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    patient_client = signed_in(app, online)
    desk_client = signed_in(app, desk)
    asked = patient_client.post("/book/ben/confirm", data=online_request(clinic, start))
    monkeypatch.setattr(staff_booking, "still_free", lambda *args, **kwargs: None)

    answer = desk_client.post(f"/staff/patients/{caller.id}/book", data=booking(clinic, start))

    assert asked.status_code == 302
    assert answer.status_code == 409
    assert "Another appointment now holds that time." in answer.get_data(as_text=True)
    assert appointments_of(app, caller) == []


def test_a_deactivated_patient_is_not_booked_for(app, clinic, desk, ready_patient):
    from intake.models import User

    patient = ready_patient()
    with app.app_context():
        db.session.get(User, patient.id).active = False
        db.session.commit()
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(
        f"/staff/patients/{patient.id}/book", data=booking(clinic, start), follow_redirects=True
    )

    assert "not an active patient" in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []


def test_a_withdrawn_consent_is_the_patients_no_and_still_refuses(app, clinic, desk, ready_patient):
    from intake.models import ConsentWithdrawal, SignedConsent

    patient = ready_patient()
    with app.app_context():
        signed = db.session.scalars(
            select(SignedConsent).where(SignedConsent.patient_id == patient.id)
        ).one()
        db.session.add(ConsentWithdrawal(consent_id=signed.id, reason="", ip_address="1.2.3.4"))
        db.session.commit()
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/patients/{patient.id}/book", data=booking(clinic, start))

    assert answer.status_code == 409
    assert "withdrew consent" in answer.get_data(as_text=True)
    assert appointments_of(app, patient) == []


def test_a_calendar_cell_opens_with_the_first_type_of_visit_that_fits_there(
    app, clinic, desk, ready_patient, make_type, make_user, make_appointment
):
    """10:00 is free for 15 minutes only (a visit at 10:30, the usual type takes 40 with its
    buffer): the page offers the short type at 10:00 instead of dropping the time."""
    quick = make_type(name="Quick check", duration_minutes=15, buffer_after_minutes=0)
    patient = ready_patient()
    ten = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    make_appointment(
        make_user(), clinic.provider, clinic.location, clinic.type, ten + timedelta(minutes=30)
    )
    client = signed_in(app, desk)
    place = f"provider={clinic.provider.id}&location={clinic.location.id}"

    page = client.get(f"/staff/patients/{patient.id}/book?{place}&start={slot(ten)}").text

    assert "The time chosen on the calendar" in page
    assert f"{quick.name} with {clinic.provider.display_name}" in page
    taken = ten + timedelta(minutes=30)
    page = client.get(f"/staff/patients/{patient.id}/book?{place}&start={slot(taken)}").text
    assert "The time chosen on the calendar" not in page
    assert "is not free for" in page
