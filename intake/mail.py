"""The one place that sends email: over SMTP (MAIL_* settings), or into files for the demo."""

import logging
import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict = field(default_factory=dict)


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


def build_message(
    config, to: str, subject: str, text: str, attachments: tuple[Attachment, ...] = ()
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    sender_domain = parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]
    message["Message-ID"] = make_msgid(domain=sender_domain or None)
    message.set_content(text)
    for item in attachments:
        message.add_attachment(
            item.content,
            maintype=item.maintype,
            subtype=item.subtype,
            filename=item.filename,
            params=item.params,
        )
    return message


def send(config, message: EmailMessage) -> None:
    """Deliver one message; MailError on any transport failure (the caller decides to retry)."""
    backend = config.get("MAIL_BACKEND", "smtp")
    if backend == "files":
        _write_file(mail_dir(config), message)
    elif backend == "smtp":
        _send_smtp(config, message)
    else:
        raise MailError(f"MAIL_BACKEND {backend!r} is neither 'smtp' nor 'files'")


def mail_dir(config) -> Path:
    """INTAKE_MAIL_DIR, or mail/ in the instance folder (the root of Flask's config)."""
    return Path(config.get("INTAKE_MAIL_DIR") or os.path.join(config.root_path, "mail"))


def _write_file(directory: Path, message: EmailMessage) -> None:
    # Named by time and a random suffix, never by recipient or subject (personal data), and
    # sorted oldest first. Written aside then renamed, so a reader never sees half a message.
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}.eml"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f".{name}.part"
        # Owner-only: the messages carry patients' names and appointments.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
        os.replace(partial, directory / name)
    except OSError as error:
        log.warning("mail to files in the mail folder failed: %s", type(error).__name__)
        raise MailError(str(error)) from error


def _send_smtp(config, message: EmailMessage) -> None:
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    try:
        if config["MAIL_USE_SSL"]:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=config["MAIL_TIMEOUT"], context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=config["MAIL_TIMEOUT"])
        with smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The recipient is personal data: log the failure, not the address.
        log.warning("mail to SMTP %s:%s failed: %s", host, port, type(error).__name__)
        raise MailError(str(error)) from error
