"""0014 on a database holding patients: their phone and date of birth come over from their
current intake, the email becomes optional, and the rebuilt users table keeps its rules."""

from datetime import UTC, date, datetime

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from tests.test_migrations import app_at, insert_maria

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


@pytest.fixture
def app_at_0013(template_url, tmp_path):
    with app_at("0013_check_ins", template_url, tmp_path) as app:
        yield app


def _insert_patient_with_intakes() -> int:
    patient_id = insert_maria(NOW)
    for version, phone, superseded in ((1, "+19195550100", NOW), (2, "+19195550199", None)):
        db.session.execute(
            text(
                "INSERT INTO intakes (patient_id, version, legal_first_name, legal_last_name, "
                "born_on, phone, answers, screening, created_at, superseded_at) VALUES "
                "(:p, :v, 'Maria', 'Lopez', :born, :phone, '{}', '{}', :now, :superseded)"
            ),
            {
                "p": patient_id,
                "v": version,
                "born": date(1980, 4, 2),
                "phone": phone,
                "now": NOW,
                "superseded": superseded,
            },
        )
    db.session.commit()
    return patient_id


def test_a_patients_current_phone_and_birth_date_move_onto_the_account(app_at_0013):
    patient_id = _insert_patient_with_intakes()

    flask_migrate.upgrade()

    phone, born_on = db.session.execute(
        text("SELECT phone, born_on FROM users WHERE id = :id"), {"id": patient_id}
    ).one()
    assert phone == "+19195550199"  # the current version's, not the older one
    assert str(born_on) == "1980-04-02"
    # The intakes that refer to the rebuilt table still do.
    assert db.session.scalar(text("SELECT count(*) FROM intakes")) == 2


def test_after_0014_an_account_may_lack_an_email_and_the_role_check_still_holds(app_at_0013):
    _insert_patient_with_intakes()
    flask_migrate.upgrade()
    insert = text(
        "INSERT INTO users (email, password_hash, role, first_name, last_name, active, "
        "session_version, created_at) VALUES (:email, '', :role, 'Cal', 'Ler', true, 0, :now)"
    )

    for _ in range(2):  # two callers without email: NULLs never collide
        db.session.execute(insert, {"email": None, "role": "patient", "now": NOW})
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert, {"email": "maria@example.org", "role": "patient", "now": NOW})
        db.session.commit()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(insert, {"email": "x@example.org", "role": "wizard", "now": NOW})
        db.session.commit()
    db.session.rollback()


def test_0014_goes_down_and_up_again_keeping_the_accounts(app_at_0013):
    patient_id = _insert_patient_with_intakes()
    flask_migrate.upgrade()

    flask_migrate.downgrade(revision="0013_check_ins")
    flask_migrate.upgrade()

    assert (
        db.session.scalar(text("SELECT phone FROM users WHERE id = :id"), {"id": patient_id})
        == "+19195550199"
    )
