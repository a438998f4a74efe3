"""The CLI that sends the outbox and the reminders, as an operator or a cron job runs it."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from intake import commands
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, OutboxMessage
from tests.conftest import persist
from tests.support.smtp import free_port


def queue_emails(app, *subjects: str) -> None:
    persist(
        app,
        *[
            OutboxMessage(kind="test", recipient="someone@example.com", subject=s, body="Hello")
            for s in subjects
        ],
    )


def reminder_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        )
        db.session.expunge_all()
    return rows


def test_outbox_send_delivers_what_is_due_and_prints_the_counts(app, runner, smtp_server):
    queue_emails(app, "First", "Second", "Third")

    first = runner.invoke(args=["outbox", "send", "--limit", "2"])
    assert first.exit_code == 0, first.output
    assert first.output == "sent 2, retrying 0, failed 0\n"
    assert [m["Subject"] for m in smtp_server.messages] == ["First", "Second"]

    rest = runner.invoke(args=["outbox", "send"])
    assert rest.output == "sent 1, retrying 0, failed 0\n"
    assert len(smtp_server.messages) == 3


def test_outbox_send_with_smtp_down_reports_a_retry_and_exits_normally(app, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    queue_emails(app, "Waiting")

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert result.output == "sent 0, retrying 1, failed 0\n"


def test_outbox_work_once_queues_reminders_and_delivers(app, runner, smtp_server, book):
    queue_emails(app, "Queued earlier")
    book(datetime.now(UTC) + timedelta(hours=20))

    result = runner.invoke(args=["outbox", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert result.output == "reminders queued 1, check-ins queued 0; sent 2, retrying 0, failed 0\n"
    assert len(smtp_server.messages) == 2


def test_outbox_work_keeps_going_until_stopped_with_ctrl_c(app, runner, smtp_server, monkeypatch):
    queue_emails(app, "Queued earlier")
    rounds = []

    def sleep(seconds):  # the first pause is where the operator presses Ctrl+C
        rounds.append(seconds)
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "time", SimpleNamespace(sleep=sleep))
    result = runner.invoke(args=["outbox", "work", "--interval", "5"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "reminders queued 0, check-ins queued 0; sent 1, retrying 0, failed 0",
        "Stopped.",
    ]
    assert rounds == [5.0]
    assert len(smtp_server.messages) == 1


def test_reminders_send_twice_reminds_only_confirmed_visits_in_the_next_day_once(
    app, runner, smtp_server, book, make_user
):
    now = datetime.now(UTC)
    maria = make_user(email="maria@example.com", first_name="Maria")
    tomorrow = book(now + timedelta(hours=20), patient=maria)
    book(now + timedelta(hours=20), status=AppointmentStatus.REQUESTED)
    book(now + timedelta(hours=20), status=AppointmentStatus.CANCELLED)
    book(now + timedelta(hours=30))

    first = runner.invoke(args=["reminders", "send"])
    second = runner.invoke(args=["reminders", "send"])

    assert first.exit_code == 0, first.output
    assert first.output == "reminders queued 1, check-ins queued 0; sent 1, retrying 0, failed 0\n"
    assert second.output == "reminders queued 0, check-ins queued 0; sent 0, retrying 0, failed 0\n"
    [reminder] = reminder_rows(app)
    assert reminder.appointment_id == tomorrow.id
    assert reminder.sent_at is not None
    [email] = smtp_server.messages
    assert email["To"] == "maria@example.com"
    assert email["Subject"].strip().startswith("Reminder: your appointment")
    with app.app_context():
        assert db.session.get(Appointment, tomorrow.id).reminder_sent_at is not None
