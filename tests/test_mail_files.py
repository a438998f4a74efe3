"""The demo's mail catcher: with MAIL_BACKEND = "files" every email lands as an .eml file."""

import os
import re
import stat
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from intake import mail
from tests.conftest import PASSWORD
from tests.support.clock import next_weekday_at


def read_eml(path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_a_booking_request_in_the_demo_is_readable_in_the_mail_folder(
    app, clinic, ready_patient, runner, tmp_path
):
    folder = tmp_path / "mail"
    app.config.update(MAIL_BACKEND="files", INTAKE_MAIL_DIR=str(folder))
    patient = ready_patient()
    maria = app.test_client()
    maria.post("/account/login", data={"email": patient.email, "password": PASSWORD})
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    requested = maria.post(
        f"/book/{clinic.provider.slug}/confirm",
        data={
            "location": clinic.location.id,
            "type": clinic.type.id,
            "start": start.strftime("%Y-%m-%dT%H:%MZ"),
            "note": "",
        },
    )
    assert requested.status_code == 302

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    files = sorted(folder.glob("*.eml"))
    assert result.output == f"sent {len(files)}, retrying 0, failed 0\n"
    recipients = {read_eml(f)["To"] for f in files}
    assert {patient.email, app.config["INTAKE_FRONT_DESK_EMAIL"]} <= recipients
    # File names say when, never who or what: both are personal data.
    assert all(re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{8}\.eml", f.name) for f in files)
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    assert not list(folder.glob(".*"))  # no half-written leftovers


def test_the_mail_folder_defaults_to_the_instance_folder(app):
    assert str(mail.mail_dir(app.config)) == os.path.join(app.instance_path, "mail")


def test_a_message_written_to_a_file_reads_back_whole(app, tmp_path):
    app.config.update(MAIL_BACKEND="files", INTAKE_MAIL_DIR=str(tmp_path))
    message = mail.build_message(app.config, "pat@example.com", "Your visit", "See you Tuesday.")

    mail.send(app.config, message)

    [path] = tmp_path.glob("*.eml")
    stored = read_eml(path)
    assert stored["Subject"] == "Your visit"
    assert stored.get_content().strip() == "See you Tuesday."


def test_an_unwritable_mail_folder_is_a_mail_error_the_outbox_retries(app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config.update(MAIL_BACKEND="files", INTAKE_MAIL_DIR=str(blocker))
    message = mail.build_message(app.config, "pat@example.com", "Hello", "Body")

    with pytest.raises(mail.MailError):
        mail.send(app.config, message)


def test_an_unknown_mail_backend_is_refused_not_silently_dropped(app):
    app.config.update(MAIL_BACKEND="carrier-pigeon")
    message = mail.build_message(app.config, "pat@example.com", "Hello", "Body")

    with pytest.raises(mail.MailError, match="carrier-pigeon"):
        mail.send(app.config, message)
