"""The one place that sends email, over SMTP configured by the MAIL_* settings."""

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

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
