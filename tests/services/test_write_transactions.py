"""Writes that read first: the lock each takes, and an audited read under another writer."""

import sqlite3

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from intake.database import begin_write
from intake.extensions import db
from intake.models import AuditEvent, Provider, User
from intake.permissions import Role
from intake.services import audit


@pytest.fixture
def two_providers(make_provider):
    return make_provider(), make_provider()


def try_to_lock(connection, provider_id: int) -> bool:
    """Whether a second worker could start writing for this provider right now."""
    if connection.dialect.name == "postgresql":
        try:
            connection.execute(
                text("SELECT id FROM providers WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": provider_id},
            )
            return True
        except OperationalError:
            return False
        finally:
            connection.rollback()
    raw = connection.connection.dbapi_connection  # sqlite3, managing no transaction itself
    raw.execute("PRAGMA busy_timeout = 0")  # answer at once instead of queueing
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    raw.execute("ROLLBACK")
    return True


def test_a_write_for_one_provider_holds_off_other_writes_for_that_provider(app, two_providers):
    ben, cy = two_providers
    with app.app_context():
        other = db.engine.connect()
        try:
            begin_write(db.session, ben.id)
            assert not try_to_lock(other, ben.id)
            # PostgreSQL: one row per provider, so another provider's writes go ahead;
            # SQLite has one write lock for the whole file.
            assert try_to_lock(other, cy.id) == (db.engine.dialect.name == "postgresql")
            db.session.rollback()
            assert try_to_lock(other, ben.id)
        finally:
            other.invalidate()  # its changed busy timeout must not go back to the pool
            other.close()


def test_an_audited_read_is_recorded_even_after_another_worker_wrote(app, make_user):
    desk, patient = make_user(Role.FRONT_DESK), make_user(Role.PATIENT)
    with app.app_context():
        # The request reads first (the signed-in user, the record)...
        assert db.session.get(User, patient.id).role == Role.PATIENT
        # ...another worker commits a write meanwhile (SQLite: our snapshot is now stale)...
        with db.engine.begin() as other:
            other.execute(update(User).where(User.id == desk.id).values(first_name="Dana"))
        # ...and the look is still put on record, not refused with "database is locked".
        audit.record("viewed_patient", actor_id=desk.id, patient_id=patient.id, commit=True)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_a_caller_that_already_writes_keeps_its_change_when_the_audit_row_commits(app, make_user):
    desk = make_user(Role.FRONT_DESK)
    with app.app_context():
        db.session.get(User, desk.id).first_name = "Dana"
        audit.record("changed_user", actor_id=desk.id, object_type="user", commit=True)
    with app.app_context():
        assert db.session.get(User, desk.id).first_name == "Dana"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 0


@pytest.mark.parametrize(("method", "locks"), [("POST", True), ("GET", False)])
def test_on_sqlite_a_request_that_may_write_takes_the_write_lock_with_its_first_read(
    app, make_user, method, locks
):
    """So a form that reads, then saves (consent, intake, admin pages) never meets a stale
    snapshot under several workers; a page view stays a plain reader."""
    make_user()
    with app.test_request_context("/anything", method=method):
        other = db.engine.connect()
        try:
            db.session.scalars(select(User)).all()
            if db.engine.dialect.name == "sqlite":
                assert try_to_lock(other, 0) is not locks
            else:  # PostgreSQL readers and writers do not block each other this way
                assert try_to_lock(other, 0)
            db.session.rollback()
        finally:
            other.invalidate()
            other.close()
