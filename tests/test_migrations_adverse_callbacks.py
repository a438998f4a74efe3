"""0018 on a database holding callbacks and their calls: a callback may now come from an
adverse event, an event keeps its follow-up callback (and the addendum that reported it), and
the rebuilt table keeps its rules, its rows and the calls that refer to it, down and up."""

from datetime import UTC, datetime

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from tests.test_migrations import app_at, insert_maria

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)
BEFORE = "0017_outbox_calendar"


@pytest.fixture
def app_at_0017(template_url, tmp_path):
    with app_at(BEFORE, template_url, tmp_path) as app:
        yield app


def _callback_with_a_call() -> int:
    patient_id = insert_maria(NOW)
    callback_id = _insert_callback(patient_id, "check_in")
    db.session.execute(
        text(
            "INSERT INTO call_logs (callback_id, patient_id, outcome, advice, by_id, at) "
            "VALUES (:c, :p, 'no_answer', '', :p, :now)"
        ),
        {"c": callback_id, "p": patient_id, "now": NOW},
    )
    db.session.commit()
    return patient_id


def _insert_callback(patient_id: int, source: str, status: str = "open") -> int:
    return db.session.execute(
        text(
            "INSERT INTO callbacks (patient_id, urgent, blocks_booking, finding_keys, source, "
            "status, opened_at, outcome_note) VALUES (:p, true, false, '[]', :source, :status, "
            ":now, '') RETURNING id"
        ),
        {"p": patient_id, "source": source, "status": status, "now": NOW},
    ).scalar_one()


def test_after_0018_a_callback_may_come_from_an_adverse_event_and_the_rules_hold(app_at_0017):
    patient_id = _callback_with_a_call()

    flask_migrate.upgrade()

    assert db.session.scalar(text("SELECT count(*) FROM call_logs")) == 1
    assert db.session.scalar(text("SELECT source FROM callbacks")) == "check_in"
    db.session.execute(text("UPDATE callbacks SET source = 'adverse_event'"))
    db.session.commit()
    for source, status in (("wizard", "closed"), ("intake", "open")):
        # An unknown source; a second open callback for the patient.
        with pytest.raises(IntegrityError):
            _insert_callback(patient_id, source, status)
            db.session.commit()
        db.session.rollback()
    with pytest.raises(IntegrityError):  # closed without an outcome
        db.session.execute(text("UPDATE callbacks SET status = 'closed'"))
        db.session.commit()
    db.session.rollback()
    columns = db.session.execute(text("SELECT callback_id, addendum_id FROM adverse_events"))
    assert list(columns.keys()) == ["callback_id", "addendum_id"]


def test_0018_goes_down_and_up_again_keeping_the_callbacks_and_their_calls(app_at_0017):
    _callback_with_a_call()
    flask_migrate.upgrade()

    flask_migrate.downgrade(revision=BEFORE)
    with pytest.raises(IntegrityError):  # the old rule is back
        db.session.execute(text("UPDATE callbacks SET source = 'adverse_event'"))
        db.session.commit()
    db.session.rollback()
    flask_migrate.upgrade()

    assert db.session.scalar(text("SELECT count(*) FROM callbacks")) == 1
    assert db.session.scalar(text("SELECT count(*) FROM call_logs")) == 1
