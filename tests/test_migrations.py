"""The committed migrations build exactly the schema the models describe."""

import uuid
from contextlib import contextmanager

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
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


@pytest.fixture
def migrated_app(database_url, tmp_path):
    with empty_database(database_url, tmp_path) as url:
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
