"""Sending the outbox: each due email once, retried with backoff, from any number of workers."""

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from .. import mail
from ..database import SQLITE_BEGIN
from ..domain.calendar import from_record
from ..extensions import db
from ..models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# SMTP servers echo the recipient in refusals; the address is personal data, kept out of logs.
_ADDRESS = re.compile(r"[^\s<>'\"(),;:\[\]]+@[^\s<>'\"(),;:\[\]]+")


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


# Built once: a statement object kept computes its cache key once, not at every execution.
_INSERT_MESSAGES = insert(OutboxMessage.__table__)


def queue(letters: list[dict]) -> None:
    """Write these emails in the caller's transaction, for the worker to send. A plain INSERT
    of the table, after a flush as the ORM's own would do: the ORM's bulk insert cost about
    0.5 ms of CPU for a booking's three letters."""
    if letters:
        db.session.flush()
        db.session.execute(_INSERT_MESSAGES, letters)


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failure: 1, 2, 4 ... minutes, never more than an hour."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 10), LONGEST_RETRY)


def deliver_due(config, now: datetime | None = None, limit: int = 50) -> DeliveryReport:
    """Send up to `limit` due messages, oldest first. Call it with no transaction open.

    One transaction per message, holding that row's lock while it is sent: another worker
    never takes it, and a crash part-way never resends the messages that already went."""
    now = now or datetime.now(UTC)
    outcomes: Counter[str] = Counter()
    for _ in range(limit):
        message = _lock_next_due(now)
        if message is None:
            db.session.rollback()  # ends the transaction, releasing SQLite's write lock
            break
        outcomes[_deliver(config, message, now)] += 1
        db.session.commit()
    report = DeliveryReport(outcomes["sent"], outcomes["retried"], outcomes["failed"])
    if outcomes:
        log.info(
            "outbox: sent %d, retrying %d, failed %d", report.sent, report.retried, report.failed
        )
    return report


def _lock_next_due(now: datetime) -> OutboxMessage | None:
    # SQLite: BEGIN IMMEDIATE takes the write lock before reading, so workers take turns.
    # PostgreSQL: lock this one row; other workers skip it rather than wait or resend it.
    db.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    return db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def calendar_file(message: OutboxMessage) -> str | None:
    """The calendar file the message attaches: as sent, or written now from its invitation.
    ValueError when the stored invitation cannot be read."""
    if message.ics is None and message.calendar is not None:
        return from_record(message.calendar)
    return message.ics


def _deliver(config, message: OutboxMessage, now: datetime) -> str:
    """Try one message and record the outcome on it: "sent", "retried" or "failed"."""
    try:
        # Kept on the row: what was sent stays on record, and a retry does not write it again.
        message.ics = calendar_file(message)
        attachments = ()
        if message.ics:
            attachments = (
                mail.Attachment(
                    filename="appointment.ics",
                    content=message.ics.encode(),
                    maintype="text",
                    subtype="calendar",
                    params={"method": message.ics_method} if message.ics_method else {},
                ),
            )
        email = mail.build_message(
            config, message.recipient, message.subject, message.body, attachments
        )
    except ValueError as error:
        # No retry can fix a message that cannot be written; it must not block the queue.
        message.last_error = _describe(error)
        message.failed_at = now
        return "failed"
    try:
        mail.send(config, email)
    except mail.MailError as error:
        message.attempts += 1
        message.last_error = _describe(error)
        if message.attempts >= MAX_ATTEMPTS:
            message.failed_at = now
            return "failed"
        message.next_attempt_at = now + backoff(message.attempts)
        return "retried"
    message.sent_at = now
    return "sent"


def _describe(error: Exception) -> str:
    """The error's kind and text, for staff reading the outbox, without any email address."""
    cause = error.__cause__ or error
    text = _ADDRESS.sub("<address>", str(cause))
    return f"{type(cause).__name__}: {text}"[:200]
