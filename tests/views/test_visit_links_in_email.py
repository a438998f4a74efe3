"""Every email a patient gets about a visit links to that visit's page, and a patient who is
signed out is asked to sign in and then lands on it; phone numbers read as on the pages."""

import re
from datetime import UTC, datetime, timedelta

from intake.config import current_settings
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, OutboxMessage, utcnow
from intake.permissions import Role
from intake.services.notifications import notify
from intake.services.reminders import queue_reminders
from tests.conftest import PASSWORD
from tests.support.clock import next_weekday_at
from tests.support.mailbox import deliver_outbox

BASE = "http://localhost"  # the tests' INTAKE_BASE_URL


def mail_to(smtp_server, address: str, subject_word: str):
    [message] = [
        m
        for m in smtp_server.messages
        if m["To"] == address and subject_word in m["Subject"].lower()
    ]
    return message


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_request_email_links_to_the_visit_and_sign_in_lands_on_it(
    app, clinic, ready_patient, login_as, smtp_server
):
    maria = ready_patient()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    client = login_as(maria)
    sent = client.post(
        f"/book/{clinic.provider.slug}/confirm",
        data={
            "location": clinic.location.id,
            "type": clinic.type.id,
            "start": start.strftime("%Y-%m-%dT%H:%MZ"),
        },
    )
    appointment_id = int(re.search(r"/account/appointments/(\d+)", sent.headers["Location"])[1])
    client.post("/account/logout")
    deliver_outbox(app)

    email = mail_to(smtp_server, maria.email, "received")
    body = body_of(email)
    link = f"{BASE}/account/appointments/{appointment_id}"
    assert f"See your appointment, or move or cancel it:\n{link}\n" in body
    assert "Questions? Call us at (919) 555-0100." in body
    assert "+1919" not in body
    assert maria.email not in email["Subject"] and "Maria" not in email["Subject"]

    # Signed out, the link asks for a sign-in that comes back to the visit.
    visitor = app.test_client()
    asked = visitor.get(link.removeprefix(BASE))
    assert asked.status_code == 302
    login_page = asked.headers["Location"]
    assert login_page.startswith("/account/login?next=")
    signed_in = visitor.post(login_page, data={"email": maria.email, "password": PASSWORD})
    assert signed_in.headers["Location"] == f"/account/appointments/{appointment_id}"
    assert "Your appointment" in visitor.get(signed_in.headers["Location"]).text


def test_a_next_pointing_to_another_site_lands_on_the_account_instead(
    client, ready_patient, clinic
):
    maria = ready_patient()
    signed_in = client.post(
        "/account/login?next=https://evil.example/account/appointments/1",
        data={"email": maria.email, "password": PASSWORD},
    )
    assert "evil.example" not in signed_in.headers["Location"]


def test_the_reminder_links_to_the_visit(app, clinic, ready_patient, make_appointment, smtp_server):
    maria = ready_patient()
    now = utcnow()
    visit = make_appointment(
        maria,
        clinic.provider,
        clinic.location,
        clinic.type,
        (now + timedelta(hours=20)).replace(second=0, microsecond=0),
        AppointmentStatus.CONFIRMED,
    )
    with app.app_context():
        assert queue_reminders(now, current_settings()) == 1
    deliver_outbox(app)

    body = body_of(mail_to(smtp_server, maria.email, "reminder"))
    assert f"{BASE}/account/appointments/{visit.id}" in body
    assert "(919) 555-0100" in body


def test_a_declined_request_email_links_to_the_page_with_another_time(
    app, clinic, ready_patient, make_appointment, make_user, login_as, smtp_server
):
    maria = ready_patient()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    visit = make_appointment(maria, clinic.provider, clinic.location, clinic.type, start)
    desk = login_as(make_user(Role.FRONT_DESK))
    declined = desk.post(
        f"/staff/requests/{visit.id}/decline",
        data={"reason": "Ben is away that week.", "revision": visit.revision},
    )
    assert declined.status_code == 302
    deliver_outbox(app)

    body = body_of(mail_to(smtp_server, maria.email, "could not confirm"))
    assert "Reason: Ben is away that week." in body
    assert f"See why, and choose another time:\n{BASE}/account/appointments/{visit.id}" in body


def test_a_patient_without_an_email_gets_none(app, clinic, ready_patient, make_appointment):
    maria = ready_patient()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    visit = make_appointment(maria, clinic.provider, clinic.location, clinic.type, start)
    with app.app_context(), db.session.no_autoflush:
        loaded = db.session.get(Appointment, visit.id)
        loaded.patient.email = None  # booked by phone: no address on file
        notify(loaded, "confirmed", settings=current_settings(), stamped_at=utcnow())
        assert db.session.query(OutboxMessage).count() == 0
        db.session.rollback()
