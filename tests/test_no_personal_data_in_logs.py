"""Health data stays out of the application log, whatever happens on the way."""

import logging

from tests.conftest import PASSWORD


def test_a_booking_and_a_failed_sign_in_leave_no_personal_data_in_the_log(
    app, client, clinic, ready_patient, caplog, smtp_server
):
    from datetime import UTC, datetime

    from tests.support.clock import next_weekday_at

    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    patient = ready_patient(anticoagulants="yes", anticoagulants_detail="Warfarin 5 mg")
    caplog.set_level(logging.DEBUG)

    client.post("/account/login", data={"email": patient.email, "password": "wrong password"})
    client.post("/account/login", data={"email": patient.email, "password": PASSWORD})
    sent = client.post(
        f"/book/{clinic.provider.slug}/confirm",
        data={
            "location": clinic.location.id,
            "type": clinic.type.id,
            "start": start.strftime("%Y-%m-%dT%H:%MZ"),
            "note": "Left calf, Warfarin",
        },
    )
    assert sent.status_code == 302
    app.config.update(MAIL_PORT=1)  # and a delivery that fails
    from intake.services.outbox import deliver_due

    with app.app_context():
        deliver_due(app.config)

    logged = caplog.text
    assert caplog.records, "nothing was logged at all: the test would prove nothing"
    for secret in (patient.email, "Warfarin", "Maria", "Lopez", PASSWORD, "+19195550142"):
        assert secret not in logged, secret


def test_a_statement_that_fails_logs_the_error_without_the_patients_values(make_app, caplog):
    from sqlalchemy import text

    from intake.extensions import db

    app = make_app(PROPAGATE_EXCEPTIONS=False)  # handled and logged, as in production

    def lookup_that_fails():
        # Any statement the database refuses, with a patient's email as its parameter.
        db.session.execute(
            text("SELECT id FROM no_such_table WHERE email = :email"),
            {"email": "maria.lopez@example.com"},
        )

    app.add_url_rule("/lookup-that-fails", view_func=lookup_that_fails)
    caplog.set_level(logging.DEBUG)

    answer = app.test_client().get("/lookup-that-fails")

    assert answer.status_code == 500
    logged = caplog.text
    assert "no_such_table" in logged, "the failure itself must still be in the log"
    assert "parameters hidden" in logged
    assert "maria.lopez@example.com" not in logged


def test_a_row_the_database_refuses_is_not_repeated_in_the_log(make_app, caplog):
    from sqlalchemy import text

    from intake.extensions import db

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def save_that_fails():
        # A check constraint refuses the row; PostgreSQL's DETAIL line would repeat all of it.
        # Plain SQL: the model's own enum check would refuse the role before the database.
        db.session.execute(
            text(
                "INSERT INTO users (email, password_hash, role, first_name, last_name, active,"
                " session_version, created_at) VALUES (:email, 'x', 'no-such-role', :first,"
                " :last, TRUE, 0, CURRENT_TIMESTAMP)"
            ),
            {"email": "maria.lopez@example.com", "first": "Maria", "last": "Lopez"},
        )
        db.session.commit()

    app.add_url_rule("/save-that-fails", view_func=save_that_fails)
    caplog.set_level(logging.DEBUG)

    answer = app.test_client().get("/save-that-fails")

    assert answer.status_code == 500
    logged = caplog.text
    assert "role_known" in logged, "the failure itself must still be in the log"
    for value in ("maria.lopez@example.com", "Maria", "Lopez"):
        assert value not in logged, value
