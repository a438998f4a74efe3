"""The mail server is down when a patient books: the request still counts, and the emails
go out, calendar file and all, as soon as the mail server is back."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from intake.extensions import db
from intake.models import Appointment, OutboxMessage
from tests.support.clock import next_weekday_at
from tests.support.smtp import RecordingSMTPServer, free_port

DURHAM = ZoneInfo("America/New_York")


def test_a_request_made_while_smtp_is_down_is_kept_and_mailed_later(
    app, client, clinic, ready_patient, login_as, runner
):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # nothing listens yet
    patient = ready_patient()
    login_as(patient)
    start = next_weekday_at(datetime.now(UTC), 11, days_ahead=3)

    sent = client.post(
        f"/book/{clinic.provider.slug}/confirm",
        data={
            "location": clinic.location.id,
            "type": clinic.type.id,
            "start": start.strftime("%Y-%m-%dT%H:%MZ"),
            "note": "",
        },
    )
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Request sent" in page  # nothing about mail: the patient's request is simply taken

    failing = runner.invoke(args=["outbox", "send"])
    assert "sent 0" in failing.output
    with app.app_context():
        assert db.session.scalars(select(Appointment)).one().starts_at == start
        waiting = db.session.scalars(select(OutboxMessage)).all()
        assert waiting and all(m.sent_at is None and m.attempts == 1 for m in waiting)
        for message in waiting:  # as if the retry delay had passed
            message.next_attempt_at = message.created_at
        db.session.commit()

    with RecordingSMTPServer(port=port) as smtp:
        delivered = runner.invoke(args=["outbox", "send"])
        assert f"sent {len(waiting)}" in delivered.output
        [mine] = [m for m in smtp.messages if m["To"] == patient.email]

    [calendar_part] = [
        p for p in mine.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    [event] = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert event.decoded("dtstart").astimezone(DURHAM).hour == 11
    assert str(event.decoded("dtstart").tzinfo) == "America/New_York"
