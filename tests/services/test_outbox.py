"""Sending the outbox and queueing reminders: once each, retried, and safe from two workers."""

import logging
import threading
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from intake.config import current_settings
from intake.domain.calendar import from_record
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, OutboxMessage
from intake.services.notifications import notify
from intake.services.outbox import DeliveryReport, backoff, deliver_due
from intake.services.reminders import queue_reminders
from tests.conftest import persist
from tests.support.smtp import RecordingSMTPServer, free_port

_serial = count(1)


def queue(app, appointment: Appointment, *events: str) -> None:
    with app.app_context():
        loaded = db.session.get(Appointment, appointment.id)
        for event in events:
            notify(loaded, event, settings=current_settings(), stamped_at=datetime.now(UTC))
        db.session.commit()


def deliver(app, now=None, limit=50) -> DeliveryReport:
    with app.app_context():
        return deliver_due(app.config, now=now, limit=limit)


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
    return rows


def smtp_down(app) -> int:
    """Point the app at a port nobody listens on; returns the port."""
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return port


def calendar_of(email) -> Calendar:
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "appointment.ics"
    assert attachment.get_param("method") == "REQUEST"
    return Calendar.from_ical(attachment.get_content())


# --- delivery -----------------------------------------------------------------


def test_a_confirmation_arrives_with_a_calendar_invitation_in_the_clinics_zone(
    app, smtp_server, book, make_user
):
    maria = make_user(email="maria@example.com", first_name="Maria")
    starts_at = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # 10:30 AM in Durham (EDT)
    appointment = book(starts_at, patient=maria)
    queue(app, appointment, "confirmed", "reminder")

    assert deliver(app) == DeliveryReport(sent=2)

    confirmation, reminder = smtp_server.messages
    assert confirmation["To"] == "maria@example.com"
    # Python folds this long subject onto a continuation line; readers unfold it.
    assert confirmation["Subject"].strip() == (
        "Your appointment is confirmed (Tuesday, March 10, 2026 at 10:30 AM EDT)"
    )
    body = confirmation.get_body(("plain",)).get_content()
    assert body.startswith("Hello Maria,")
    assert "Good news: your appointment is confirmed." in body
    assert "When:  Tuesday, March 10, 2026 at 10:30 AM EDT" in body

    invitation = calendar_of(confirmation)
    assert invitation["METHOD"] == "REQUEST"
    [event] = invitation.walk("VEVENT")
    start = event["DTSTART"].dt
    assert start == starts_at
    assert start.tzinfo.key == "America/New_York"
    assert (start.hour, start.minute) == (10, 30)

    # The reminder updates the same calendar entry rather than adding a second one.
    [reminder_event] = calendar_of(reminder).walk("VEVENT")
    assert (
        str(event["UID"])
        == str(reminder_event["UID"])
        == (f"appointment-{appointment.id}@example.org")
    )
    assert all(row.sent_at is not None for row in outbox_rows(app))


def test_the_worker_writes_the_calendar_file_when_it_sends_and_keeps_what_it_sent(
    app, smtp_server, book
):
    queue(app, book(datetime(2026, 3, 10, 14, 30, tzinfo=UTC)), "confirmed")
    [queued] = outbox_rows(app)
    # The change stored the invitation's values, not the file: it is written off the request.
    assert queued.ics is None
    assert queued.calendar["method"] == "REQUEST"

    assert deliver(app) == DeliveryReport(sent=1)

    [sent] = outbox_rows(app)
    [email] = smtp_server.messages
    [attachment] = email.iter_attachments()
    assert sent.ics == attachment.get_content()
    assert sent.ics == from_record(queued.calendar)


def test_an_invitation_that_cannot_be_read_fails_its_email_and_not_the_queue(app, smtp_server):
    persist(
        app,
        OutboxMessage(
            kind="test", recipient="a@example.com", subject="Bad", body="x", calendar={"x": 1}
        ),
        OutboxMessage(kind="test", recipient="c@example.com", subject="Good", body="x"),
    )

    assert deliver(app) == DeliveryReport(sent=1, failed=1)
    assert [m["Subject"] for m in smtp_server.messages] == ["Good"]
    bad, _ = outbox_rows(app)
    assert bad.failed_at is not None and bad.last_error.startswith("ValueError")


def test_when_smtp_is_down_a_message_waits_a_minute_then_goes_once_smtp_is_back(app, book):
    port = smtp_down(app)
    queue(app, book(datetime(2026, 3, 10, 14, 30, tzinfo=UTC)), "confirmed")
    now = datetime.now(UTC)

    assert deliver(app, now=now) == DeliveryReport(retried=1)
    [row] = outbox_rows(app)
    assert row.attempts == 1
    assert row.sent_at is None and row.failed_at is None
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert deliver(app, now=now + timedelta(seconds=30)) == DeliveryReport()  # not due yet

    later = row.next_attempt_at + timedelta(seconds=1)
    with RecordingSMTPServer(port=port) as server:
        assert deliver(app, now=later) == DeliveryReport(sent=1)
        assert deliver(app, now=later + timedelta(hours=2)) == DeliveryReport()
        assert len(server.messages) == 1
    [row] = outbox_rows(app)
    assert row.sent_at == later
    assert row.attempts == 1


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (9, 60), (50, 60)],
)
def test_backoff_doubles_from_a_minute_and_stops_at_an_hour(attempts, minutes):
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_a_message_that_fails_ten_times_is_given_up_and_never_picked_again(app, book):
    smtp_down(app)
    queue(app, book(datetime(2026, 3, 10, 14, 30, tzinfo=UTC)), "confirmed")
    now = datetime.now(UTC)
    waits = []
    for _ in range(9):
        assert deliver(app, now=now) == DeliveryReport(retried=1)
        [row] = outbox_rows(app)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert deliver(app, now=now) == DeliveryReport(failed=1)
    [row] = outbox_rows(app)
    assert (row.attempts, row.failed_at, row.sent_at) == (10, now, None)

    assert deliver(app, now=now + timedelta(days=7)) == DeliveryReport()
    [row] = outbox_rows(app)
    assert row.attempts == 10


def test_a_message_that_cannot_be_written_fails_at_once_and_does_not_hold_up_the_queue(
    app, smtp_server
):
    persist(
        app,
        OutboxMessage(
            kind="test", recipient="a@example.com\nBcc: b@example.com", subject="Bad", body="x"
        ),
        OutboxMessage(kind="test", recipient="c@example.com", subject="Good", body="x"),
    )

    assert deliver(app) == DeliveryReport(sent=1, failed=1)
    assert [m["Subject"] for m in smtp_server.messages] == ["Good"]
    bad, _ = outbox_rows(app)
    assert bad.failed_at is not None and bad.attempts == 0
    assert bad.last_error.startswith("ValueError")


class _RefuseRecipients:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected"


def test_a_refused_recipient_is_retried_without_the_address_in_the_error_or_the_logs(app, caplog):
    caplog.set_level(logging.DEBUG, logger="intake")
    controller = Controller(_RefuseRecipients(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        persist(
            app,
            OutboxMessage(kind="test", recipient="maria@example.com", subject="Hi", body="Private"),
        )
        assert deliver(app) == DeliveryReport(retried=1)
    finally:
        controller.stop()

    [row] = outbox_rows(app)
    assert row.last_error.startswith("SMTPRecipientsRefused")
    assert "Recipient address rejected" in row.last_error
    assert "maria" not in row.last_error
    # Our own logs only: the test SMTP server logs the whole conversation.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("intake"))
    assert "SMTPRecipientsRefused" in ours
    assert "retrying 1" in ours
    assert "maria" not in ours
    assert "Private" not in ours


def test_two_workers_at_once_send_each_message_exactly_once(app, smtp_server):
    subjects = [f"Message {n}" for n in range(20)]
    persist(
        app,
        *[
            OutboxMessage(kind="test", recipient="a@example.com", subject=s, body="x")
            for s in subjects
        ],
    )
    start = threading.Barrier(2)
    reports, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait()
                reports.append(deliver_due(app.config))
        except Exception as error:  # surfaced by the asserts below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(m["Subject"] for m in smtp_server.messages) == sorted(subjects)
    assert sum(report.sent for report in reports) == 20
    assert all(row.sent_at is not None for row in outbox_rows(app))


# --- reminders ----------------------------------------------------------------


def reminded_appointments(app) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.appointment_id)
                .where(OutboxMessage.kind == "reminder")
                .order_by(OutboxMessage.appointment_id)
            )
        )


def test_reminders_go_to_confirmed_appointments_in_the_next_day_only(app, book):
    now = datetime.now(UTC)
    tomorrow = book(now + timedelta(hours=20))
    book(now + timedelta(hours=20), status=AppointmentStatus.REQUESTED)
    book(now + timedelta(hours=20), status=AppointmentStatus.CANCELLED)
    book(now + timedelta(hours=30))
    book(now - timedelta(hours=1))

    with app.app_context():
        assert queue_reminders(now, current_settings()) == 1
    with app.app_context():
        assert queue_reminders(now, current_settings()) == 0

    assert reminded_appointments(app) == [tomorrow.id]
    with app.app_context():
        reminded = db.session.get(Appointment, tomorrow.id)
        assert reminded.reminder_sent_at == now
        # A reminder changes nothing about the visit: a desk page open on it stays current.
        assert reminded.revision == tomorrow.revision


def test_reminders_queued_by_two_workers_at_once_are_queued_once(app, book):
    now = datetime.now(UTC)
    due = [book(now + timedelta(hours=h)) for h in (2, 6, 10, 14, 18)]
    start = threading.Barrier(2)
    queued, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait()
                queued.append(queue_reminders(now, current_settings()))
        except Exception as error:  # surfaced by the asserts below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(queued) == 5
    assert reminded_appointments(app) == [a.id for a in due]


def test_queueing_reminders_reads_the_same_number_of_rows_for_one_or_many(app, book, count_queries):
    now = datetime.now(UTC)
    book(now + timedelta(hours=2))

    def selects_while_queueing() -> int:
        with count_queries() as statements, app.app_context():
            queue_reminders(now, current_settings())
        return sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    for_one = selects_while_queueing()
    for hours in (3, 4, 5, 6):
        book(now + timedelta(hours=hours))
    for_four = selects_while_queueing()

    assert len(reminded_appointments(app)) == 5
    assert for_one == for_four
