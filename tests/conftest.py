"""Shared fixtures: one app per test on a real database, builders, and a query counter."""

import atexit
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from werkzeug.serving import make_server

from intake import create_app
from intake.domain.geo import locate
from intake.extensions import db
from intake.models import Location, Provider, User, WorkingHours, utcnow
from intake.passwords import hash_password
from intake.permissions import Role
from tests.support.clock import CLINIC_ZONE

# Unset means SQLite; CI runs the whole suite a second time with a PostgreSQL URL here.
TEST_DATABASE_URL = os.environ.get("INTAKE_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow by design: hash once per run


# This run's own stamp for the public data cache, not the checkout's instance folder: a demo,
# a benchmark or a second test run in the same checkout renewing it mid-test would add queries.
_PUBLIC_DATA_STAMP = Path(tempfile.mkdtemp(prefix="intake-tests-")) / "public-data.stamp"
atexit.register(shutil.rmtree, _PUBLIC_DATA_STAMP.parent, ignore_errors=True)


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def template_url(tmp_path_factory) -> str:
    """The database the schema is built in once per run."""
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite'}"


@pytest.fixture
def database_url(_schema, template_url, tmp_path) -> str:
    """SQLite: a fresh copy of the template per test. PostgreSQL: the same database, emptied
    after each test with TRUNCATE, its triggers switched off for that one transaction."""
    if is_postgres(template_url):
        return template_url
    copy = tmp_path / "test.sqlite"
    shutil.copyfile(template_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def settings_for(database_url: str, **overrides) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,  # one test turns it on; others log in freely
        # scripts/run writes the demo's settings to instance/config.py, which create_app reads:
        # tests send by SMTP to their own server (never into the demo's mail folder) and link
        # to http://localhost, whatever the demo chose.
        "MAIL_BACKEND": "smtp",
        "INTAKE_BASE_URL": "",
        "TRUSTED_HOSTS": None,
        "INTAKE_PUBLIC_DATA_STAMP": str(_PUBLIC_DATA_STAMP),
        **overrides,
    }


@pytest.fixture(scope="session")
def _schema(template_url):
    app = create_app(settings_for(template_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()  # closing checkpoints SQLite's WAL into the file the tests copy
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables() -> None:
    if db.engine.dialect.name != "postgresql":
        return  # each SQLite test has its own copy
    names = ", ".join(t.name for t in db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        # The append-only tables refuse TRUNCATE; replica mode skips triggers (superuser only).
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(database_url):
    """No app context stays pushed: each request gets its own, as in production."""
    app = create_app(settings_for(database_url))
    yield app
    with app.app_context():
        _empty_all_tables()
        db.engine.dispose()


def persist(app, *objects):
    """Commit objects in a context of their own and return them loaded, ready to read."""
    with app.app_context():
        db.session.add_all(objects)
        db.session.commit()
        # Reload everything the commit expired, including related objects passed in.
        for obj in list(db.session.identity_map.values()):
            db.session.refresh(obj)
    return objects[0] if len(objects) == 1 else objects


@pytest.fixture
def make_app(database_url):
    """Another app on the test database with some settings changed; its pool closed after."""
    made = []

    def build(**overrides):
        extra = create_app(settings_for(database_url, **overrides))
        made.append(extra)
        return extra

    yield build
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def _body_closed_early(app):
    """Werkzeug's server closes the response body only after draining the socket, and a
    browser that hangs up during the drain leaves a static file open; read and close first."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app):
    """The test app served on 127.0.0.1 at a free port, in a thread, for one test."""
    server = make_server("127.0.0.1", 0, _body_closed_early(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` then len(queries) is the SQL statements run."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


_serial = count(1)


@pytest.fixture
def make_user(app):
    def build(role: Role = Role.PATIENT, **fields) -> User:
        n = next(_serial)
        user = User(
            email=fields.pop("email", f"user{n}@example.com"),
            password_hash=fields.pop("password_hash", _PASSWORD_HASH),
            role=role,
            first_name=fields.pop("first_name", "Test"),
            last_name=fields.pop("last_name", f"Person{n}"),
            **fields,
        )
        return persist(app, user)

    return build


@pytest.fixture
def make_location(app):
    def build(zip_code: str = "27701", **fields) -> Location:
        n = next(_serial)
        point = locate(zip_code).point
        location = Location(
            name=fields.pop("name", f"Clinic {n}"),
            slug=fields.pop("slug", f"clinic-{n}"),
            address=fields.pop("address", f"{n} Main St"),
            city=fields.pop("city", "Durham"),
            state=fields.pop("state", "NC"),
            zip_code=zip_code,
            phone=fields.pop("phone", "+19195550199"),
            latitude=point.latitude,
            longitude=point.longitude,
            **fields,
        )
        return persist(app, location)

    return build


@pytest.fixture
def make_provider(app, make_user):
    def build(display_name: str = "", locations=(), hours=(), **fields) -> Provider:
        user = fields.pop("user", None) or make_user(Role.THERAPIST)
        provider = Provider(
            user=user,
            display_name=display_name or user.full_name,
            slug=fields.pop("slug", f"provider-{user.id}"),
            credentials=fields.pop("credentials", "PT, DPT"),
            training_hours=fields.pop("training_hours", 80),
            bio=fields.pop("bio", "Treats neck and back pain."),
            training_course=fields.pop("training_course", "Dry Needling Level 1 and 2"),
            # Bookable for dry needling: attested on the app's today at the clinic (as a
            # consent's signed_at is the app's now), so it is current for the app's clock and
            # for any fixed `now` before it. Pass attested_on=None (or an old date) otherwise.
            attested_on=fields.pop("attested_on", utcnow().astimezone(CLINIC_ZONE).date()),
            locations=list(locations),
            working_hours=[
                WorkingHours(location=loc, weekday=day, starts=start, ends=end)
                for loc, day, start, end in hours
            ],
            **fields,
        )
        return persist(app, provider)

    return build


@pytest.fixture
def login_as(client):
    """Sign in through the real form, as the user would."""

    def sign_in(user: User, password: str = PASSWORD):
        response = client.post("/account/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "login failed"
        return client

    return sign_in


@pytest.fixture
def smtp_server(app):
    """A real SMTP server in this process; the app sends to it; `.messages` holds what arrived."""
    from tests.support.smtp import RecordingSMTPServer

    with RecordingSMTPServer() as server:
        app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port)
        yield server


@pytest.fixture
def consent_v1(app):
    """The clinic's published consent text, version 1."""
    from intake.services.consents import publish_version
    from intake.services.demo import CONSENT_V1

    with app.app_context():
        version = publish_version("1", CONSENT_V1.read_text(encoding="utf-8"))
        db.session.refresh(version)
        db.session.expunge(version)
    return version


@pytest.fixture
def make_intake(app):
    """Store an intake for a patient through the service, with answers a patient would give."""
    from intake.services.intakes import save_intake
    from tests.support.answers import stored_answers

    def build(patient: User, **overrides):
        with app.app_context():
            intake = save_intake(db.session.merge(patient), stored_answers(**overrides))
            db.session.refresh(intake)
            db.session.expunge(intake)
        return intake

    return build


@pytest.fixture
def make_type(app):
    from intake.models import AppointmentType

    def build(**fields):
        n = next(_serial)
        kind = AppointmentType(
            name=fields.pop("name", "Dry needling follow-up"),
            slug=fields.pop("slug", f"type-{n}"),
            duration_minutes=fields.pop("duration_minutes", 30),
            buffer_after_minutes=fields.pop("buffer_after_minutes", 10),
            involves_dry_needling=fields.pop("involves_dry_needling", True),
            **fields,
        )
        return persist(app, kind)

    return build


@pytest.fixture
def ready_patient(app, make_user, make_intake, consent_v1):
    """A patient who has answered the intake and signed the current consent."""
    from intake.models import SignedConsent

    def build(**intake_overrides):
        patient = make_user(first_name="Maria", last_name="Lopez")
        make_intake(patient, **intake_overrides)
        persist(
            app,
            SignedConsent(
                patient_id=patient.id,
                version_id=consent_v1.id,
                text_sha256=consent_v1.text_sha256,
                typed_name="Maria Lopez",
                acknowledged=["nature"],
                ip_address="127.0.0.1",
                user_agent="tests",
            ),
        )
        return patient

    return build


@pytest.fixture
def clinic(make_location, make_provider, make_type, make_user):
    """One provider working Monday to Friday 9-12 at a Durham clinic, and a 30-minute type."""
    from datetime import time

    durham = make_location("27701", name="Durham Central", timezone="America/New_York")
    provider = make_provider(
        "Ben Durham",
        [durham],
        slug="ben",
        user=make_user(Role.THERAPIST, email="ben@example.org", first_name="Ben"),
        hours=[(durham, day, time(9), time(12)) for day in range(5)],
    )
    kind = make_type(name="Dry needling follow-up", duration_minutes=30, buffer_after_minutes=10)
    return SimpleNamespace(location=durham, provider=provider, type=kind)


@pytest.fixture
def make_appointment(app):
    """An appointment written straight to the database (status and times as given)."""
    from datetime import timedelta

    from intake.models import Appointment, AppointmentStatus

    def build(
        patient, provider, location, kind, starts_at, status=AppointmentStatus.REQUESTED, **fields
    ):
        ends_at = starts_at + timedelta(minutes=kind.duration_minutes)
        appointment = Appointment(
            patient_id=patient.id,
            provider_id=provider.id,
            location_id=location.id,
            type_id=kind.id,
            starts_at=starts_at,
            ends_at=ends_at,
            blocks_until=ends_at + timedelta(minutes=kind.buffer_after_minutes),
            status=status,
            screening_snapshot=fields.pop("screening_snapshot", {}),
            **fields,
        )
        return persist(app, appointment)

    return build


@pytest.fixture
def book(app, make_user, make_location, make_provider):
    """A 45-minute visit at a New York clinic, with a patient and provider of its own."""
    from datetime import timedelta

    from intake.models import Appointment, AppointmentStatus, AppointmentType

    def build(starts_at, status=AppointmentStatus.CONFIRMED, patient=None):
        n = next(_serial)
        location = make_location(timezone="America/New_York")
        provider = make_provider()
        patient = patient or make_user(Role.PATIENT)
        ends_at = starts_at + timedelta(minutes=45)
        return persist(
            app,
            Appointment(
                patient_id=patient.id,
                provider_id=provider.id,
                location_id=location.id,
                type=AppointmentType(name="Dry needling", slug=f"visit-{n}", duration_minutes=45),
                starts_at=starts_at,
                ends_at=ends_at,
                blocks_until=ends_at + timedelta(minutes=15),
                status=status,
                screening_snapshot={},
            ),
        )

    return build
