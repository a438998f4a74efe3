"""The calendar files in a patient's emails say who invites (the clinic) and who is invited
(the patient), as RFC 5546 asks of a REQUEST and a CANCEL; the therapist's private feed, a
subscription rather than an invitation, names neither."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from intake.config import current_settings
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus
from intake.services.feed import feed_calendar
from intake.services.notifications import notify
from tests.support.clock import next_weekday_at
from tests.support.mailbox import deliver_outbox

CLINIC = "Triangle Dry Needling & Physical Therapy"


def calendar_in(message) -> Calendar:
    [attachment] = [
        p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    return Calendar.from_ical(attachment.get_content())


@pytest.fixture
def maria(ready_patient):
    return ready_patient()


@pytest.fixture
def visit(clinic, maria, make_appointment):
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    return make_appointment(
        maria, clinic.provider, clinic.location, clinic.type, start, AppointmentStatus.CONFIRMED
    )


def emails_for(app, smtp_server, visit, kind: str) -> dict:
    with app.app_context():
        loaded = db.session.get(Appointment, visit.id)
        notify(
            loaded,
            kind,
            "Ben is unwell.",
            settings=current_settings(),
            stamped_at=loaded.created_at,
        )
        db.session.commit()
        patient_email = loaded.patient.email
    deliver_outbox(app)
    return {
        "patient": [m for m in smtp_server.messages if m["To"] == patient_email],
        "staff": [m for m in smtp_server.messages if m["To"] != patient_email],
    }


@pytest.mark.parametrize(
    ("kind", "method", "partstat"),
    [("confirmed", "REQUEST", "ACCEPTED"), ("cancelled", "CANCEL", "DECLINED")],
)
def test_the_patients_calendar_file_names_the_clinic_as_organizer_and_the_patient_as_attendee(
    app, smtp_server, maria, visit, kind, method, partstat
):
    [email] = emails_for(app, smtp_server, visit, kind)["patient"]
    calendar = calendar_in(email)
    assert str(calendar["METHOD"]) == method
    [event] = calendar.walk("VEVENT")

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:no-reply@example.org"  # the address the email comes from
    assert organizer.params["CN"] == CLINIC

    attendee = event["ATTENDEE"]  # exactly one: the patient
    assert str(attendee) == f"mailto:{maria.email}"
    assert attendee.params["CN"] == "Maria Lopez"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == partstat


def test_the_staffs_copy_invites_the_therapist_and_does_not_carry_the_patient(
    app, smtp_server, maria, visit
):
    staff = emails_for(app, smtp_server, visit, "cancelled")["staff"]
    assert {m["To"] for m in staff} == {"ben@example.org", "frontdesk@example.org"}
    for email in staff:
        [event] = calendar_in(email).walk("VEVENT")
        assert str(event["ORGANIZER"]) == "mailto:no-reply@example.org"
        assert str(event["ATTENDEE"]) == "mailto:ben@example.org"
        assert event["ATTENDEE"].params["CN"] == "Ben Durham"
        assert maria.email not in email.as_string()


def test_the_therapists_feed_names_no_organizer_and_no_attendee(app, clinic, visit):
    with app.app_context():
        text = feed_calendar(
            db.session.get(type(clinic.provider), clinic.provider.id),
            visit.created_at,
            current_settings(),
        )
    [event] = Calendar.from_ical(text).walk("VEVENT")
    assert "ATTENDEE" not in event and "ORGANIZER" not in event
    assert "METHOD" not in Calendar.from_ical(text)
