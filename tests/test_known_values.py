"""A role, status, outcome or level spelt wrong cannot be stored: the model refuses it before
the INSERT, and the database refuses it from any other writer (raw SQL, a script, psql)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import column as untyped_column
from sqlalchemy import select, table, update
from sqlalchemy.exc import IntegrityError, StatementError

from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Intake,
    ReviewOutcome,
    User,
)
from intake.permissions import Role

TYPO = "confirmd"
COLUMNS = [
    (User, "role"),
    (Appointment, "status"),
    (Appointment, "review_outcome"),
    (AppointmentEvent, "from_status"),
    (AppointmentEvent, "to_status"),
    (Intake, "screening_level"),
]
IDS = [f"{model.__tablename__}.{column}" for model, column in COLUMNS]


@pytest.fixture
def one_of_each(app, clinic, ready_patient, make_appointment):
    """A user, an intake, an appointment with a review and an event: a row in every table."""
    patient = ready_patient()
    visit = make_appointment(
        patient,
        clinic.provider,
        clinic.location,
        clinic.type,
        datetime(2030, 1, 7, 15, tzinfo=UTC),
        review_outcome=ReviewOutcome.CLEARED,
    )
    with app.app_context():
        db.session.add(
            AppointmentEvent(
                appointment_id=visit.id,
                action="confirmed",
                from_status=AppointmentStatus.REQUESTED,
                to_status=AppointmentStatus.CONFIRMED,
            )
        )
        db.session.commit()


def stored(model, column: str) -> list:
    return db.session.scalars(select(getattr(model, column))).all()


@pytest.mark.parametrize(("model", "column"), COLUMNS, ids=IDS)
def test_the_database_refuses_a_typo(app, one_of_each, model, column):
    with app.app_context():
        before = stored(model, column)
        with pytest.raises(IntegrityError):
            # A plain table and column, as a script would write: no enum type checks first.
            raw = table(model.__tablename__, untyped_column(column))
            db.session.execute(update(raw).values({column: TYPO}))
            db.session.commit()
        db.session.rollback()

        assert stored(model, column) == before
        assert TYPO not in stored(model, column)


@pytest.mark.parametrize(("model", "column"), COLUMNS, ids=IDS)
def test_the_model_refuses_a_typo_before_the_database_sees_it(app, one_of_each, model, column):
    with app.app_context():
        row = db.session.scalars(select(model)).first()
        setattr(row, column, TYPO)
        with pytest.raises(StatementError, match="not among the defined enum values"):
            db.session.commit()
        db.session.rollback()

        assert TYPO not in stored(model, column)


def test_known_values_read_back_as_their_enums(app, one_of_each):
    with app.app_context():
        assert set(stored(User, "role")) >= {Role.PATIENT, Role.THERAPIST}
        assert stored(Appointment, "status") == [AppointmentStatus.REQUESTED]
        assert stored(Appointment, "review_outcome") == [ReviewOutcome.CLEARED]
        assert stored(AppointmentEvent, "to_status") == [AppointmentStatus.CONFIRMED]
