"""The committed migrations build exactly the schema the models describe."""

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from intake import create_app
from intake.extensions import db
from tests.conftest import is_postgres, settings_for


@contextmanager
def empty_database(database_url: str, tmp_path):
    """A brand-new database of the same kind as the suite's, dropped afterwards."""
    if not is_postgres(database_url):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"intake_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def app_at(revision: str, database_url: str, tmp_path):
    """An app on a new database migrated up to `revision` only, its context pushed: for the
    tests that give a migration rows to carry over."""
    with empty_database(database_url, tmp_path) as url:
        app = create_app(settings_for(url))
        with app.app_context():
            flask_migrate.upgrade(revision=revision)
            yield app
            db.session.rollback()
            db.engine.dispose()


def insert_maria(now) -> int:
    """A patient account written as raw SQL (the models may be ahead of the schema); its id."""
    return db.session.execute(
        text(
            "INSERT INTO users (email, password_hash, role, first_name, last_name, active, "
            "session_version, created_at) VALUES ('maria@example.org', 'x', 'patient', 'Maria', "
            "'Lopez', true, 0, :now) RETURNING id"
        ),
        {"now": now},
    ).scalar_one()


@pytest.fixture
def migrated_app(template_url, tmp_path):
    with empty_database(template_url, tmp_path) as url:
        app = create_app(settings_for(url))
        with app.app_context():
            flask_migrate.upgrade()
            yield app
            db.engine.dispose()


def test_upgrade_builds_every_table(migrated_app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


def test_migrations_and_models_agree(migrated_app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrated_database_refuses_to_edit_a_signed_consent(migrated_app):
    """The triggers come with the migrations too, not only with create_all."""
    from sqlalchemy.exc import IntegrityError

    from intake.models import ConsentVersion, SignedConsent, User

    user = User(email="p@example.com", password_hash="x", first_name="P", last_name="Q")
    version = ConsentVersion(
        label="1", body_markdown="text", text_sha256="0" * 64, published_at=datetime.now(UTC)
    )
    db.session.add_all([user, version])
    db.session.flush()
    db.session.add(
        SignedConsent(
            patient_id=user.id,
            version_id=version.id,
            text_sha256="0" * 64,
            typed_name="P Q",
            acknowledged=[],
            ip_address="::1",
            user_agent="t",
        )
    )
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE signed_consents SET typed_name = 'X'"))
        db.session.commit()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE consent_versions SET body_markdown = 'X'"))
        db.session.commit()
    db.session.rollback()


def test_migrated_database_refuses_overlapping_appointments(migrated_app):
    """The no-overlap guard survives every migration, including SQLite's table rebuilds."""
    from datetime import timedelta

    from sqlalchemy.exc import IntegrityError

    from intake.models import Appointment, AppointmentType, Location, Provider, User

    user = User(
        email="t@example.com", password_hash="x", first_name="T", last_name="P", role="therapist"
    )
    location = Location(
        name="L",
        slug="l",
        address="1 St",
        city="Durham",
        state="NC",
        zip_code="27701",
        phone="+19195550100",
        latitude=36.0,
        longitude=-78.9,
    )
    kind = AppointmentType(name="T", slug="t", duration_minutes=30)
    provider = Provider(
        user=user, slug="p", display_name="P", credentials="PT", locations=[location]
    )
    db.session.add_all([user, location, kind, provider])
    db.session.flush()
    start = datetime(2030, 1, 7, 15, tzinfo=UTC)

    def appointment(offset_minutes):
        begins = start + timedelta(minutes=offset_minutes)
        return Appointment(
            patient_id=user.id,
            provider_id=provider.id,
            location_id=location.id,
            type_id=kind.id,
            starts_at=begins,
            ends_at=begins + timedelta(minutes=30),
            blocks_until=begins + timedelta(minutes=40),
            status="requested",
            screening_snapshot={},
        )

    db.session.add(appointment(0))
    db.session.commit()
    db.session.add(appointment(35))  # inside the first one's buffer
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _audit_rows_refuse_edits():
    from sqlalchemy.exc import IntegrityError

    from intake.models import AuditEvent

    db.session.add(AuditEvent(action="safety_overridden", detail={"override_reason": "why"}))
    db.session.commit()
    for statement in (
        "UPDATE audit_events SET detail = NULL",
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement))
            db.session.commit()
        db.session.rollback()
    [kept] = db.session.scalars(select(AuditEvent)).all()
    assert kept.detail == {"override_reason": "why"}
    db.session.rollback()  # hand the connection back before the engine is disposed


def test_audit_rows_with_detail_stay_append_only_after_the_migrations(migrated_app):
    """0009 added the detail column; SQLite's table rebuild must not lose the triggers."""
    _audit_rows_refuse_edits()


def test_audit_triggers_survive_a_downgrade_and_upgrade_of_0009(migrated_app):
    from sqlalchemy.exc import IntegrityError

    flask_migrate.downgrade(revision="0008")
    db.session.execute(
        text(
            "INSERT INTO audit_events (action, object_type, ip_address, at) "
            "VALUES ('a', '', '', :at)"
        ),
        {"at": datetime.now(UTC)},
    )
    db.session.commit()
    with pytest.raises(IntegrityError):  # the downgrade kept them too
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.commit()
    db.session.rollback()
    flask_migrate.upgrade()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE audit_events SET detail = NULL"))
        db.session.commit()
    db.session.rollback()
