"""A small clinic with two of everyone, for trying every route as every kind of visitor."""

import shutil
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, text

from intake import create_app, passwords
from intake.config import current_settings
from intake.domain.consent import ACKNOWLEDGEMENTS
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Callback,
    CallbackOutcome,
    CallbackStatus,
    CallLog,
    CallOutcome,
    CheckIn,
    Location,
    NeedlingNote,
    Provider,
    SignedConsent,
    TimeOff,
    User,
    WaitlistOffer,
    WorkingHours,
)
from intake.permissions import Role
from intake.services import (
    accounts,
    admin_consents,
    aftercare,
    feed,
    forms_link,
    waitlist_offers,
)
from intake.services.free_times import SlotChoice
from tests.conftest import PASSWORD, _empty_all_tables, is_postgres, persist, settings_for
from tests.support.clock import next_weekday_at
from tests.support.smtp import RecordingSMTPServer

NEW_YORK = ZoneInfo("America/New_York")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 30
SATURDAY = 5


def wall(moment: datetime) -> str:
    """The way a datetime-local field posts a clinic time."""
    return moment.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def quick_passwords(monkeypatch) -> str:
    """Argon2 at its lowest cost, so hundreds of real sign-ins fit in a run; returns the hash
    of the suite's password made with it (no rehash on sign-in, as the costs match)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    return passwords.hash_password(PASSWORD)


def _signed_consent(app, patient: User, version, name: str) -> SignedConsent:
    return persist(
        app,
        SignedConsent(
            patient_id=patient.id,
            version_id=version.id,
            text_sha256=version.text_sha256,
            typed_name=name,
            signature_png=PNG,
            acknowledged=[a.key for a in ACKNOWLEDGEMENTS],
            ip_address="127.0.0.1",
            user_agent="tests",
        ),
    )


def snapshot(app) -> dict[str, list]:
    """Every row of every table, in key order."""
    with app.app_context():
        return {
            table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables
        }


def restore_postgres(app, rows: dict[str, list]) -> None:
    """Every table holds the snapshot's rows again, and the id sequences continue after them.
    One transaction with triggers off (replica mode, superuser only, as the suite's own
    cleanup): DELETE of a few rows is much quicker than TRUNCATE."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in db.metadata.sorted_tables:
            connection.execute(table.delete())
        for table in db.metadata.sorted_tables:
            if not rows[table.name]:
                continue
            connection.execute(insert(table), [row._asdict() for row in rows[table.name]])
            [key, *more] = table.primary_key.columns
            if not more:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"),
                    {
                        "t": table.name,
                        "c": key.name,
                        "n": max(r._mapping[key.name] for r in rows[table.name]),
                    },
                )


@pytest.fixture(scope="module")
def matrix_app(_schema, template_url, tmp_path_factory):
    """One app for a module of many short tests, each of which resets its database to the
    world first (a new app per test would cost more than most of the tests)."""
    url = template_url
    if not is_postgres(url):
        copy = tmp_path_factory.mktemp("matrix") / "matrix.sqlite"
        shutil.copyfile(template_url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    app = create_app(settings_for(url))
    yield app
    with app.app_context():
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _built_world(tmp_path_factory) -> dict:
    return {"file": tmp_path_factory.mktemp("world") / "world.sqlite"}


@pytest.fixture
def world(request, matrix_app, quick_passwords, _built_world):
    """The world in matrix_app's database. The first test builds it with the suite's builders
    (in the usual per-test app); every test then starts from a copy of it: SQLite, the file;
    PostgreSQL, its rows put back."""
    built = _built_world
    if "names" not in built:
        builder = request.getfixturevalue("app")
        built["names"] = _build_world(builder, quick_passwords, request.getfixturevalue)
        built["rows"] = snapshot(builder)
        with builder.app_context():
            if db.engine.dialect.name != "postgresql":
                db.engine.dispose()  # closing writes SQLite's journal into the file copied
                shutil.copyfile(db.engine.url.database, built["file"])
    with matrix_app.app_context():
        if db.engine.dialect.name == "postgresql":
            restore_postgres(matrix_app, built["rows"])
        else:
            db.engine.dispose()  # nothing may hold the file that is replaced
            target = Path(db.engine.url.database)
            for journal in (
                target.with_name(f"{target.name}-wal"),
                target.with_name(f"{target.name}-shm"),
            ):
                journal.unlink(missing_ok=True)
            shutil.copyfile(built["file"], target)
    return built["names"]


@pytest.fixture
def matrix_mail(matrix_app):
    """A real SMTP server taking matrix_app's mail for one test."""
    saved = {key: matrix_app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    with RecordingSMTPServer() as server:
        matrix_app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port)
        yield server
    matrix_app.config.update(saved)


def _who(user: User) -> SimpleNamespace:
    return SimpleNamespace(id=user.id, email=user.email)


def _build_world(app, password_hash: str, fixture) -> SimpleNamespace:
    """Patients A and B (intake, signed consent, a visit each: A with therapist X, B with Y),
    X and Y with hours, time off and a feed token, front desk, admin, a staff member to edit,
    a published consent and two drafts (one complete, one lacking sections). Users are under
    their role names; the rest are ids."""
    make_user, make_location, make_provider, make_type, make_intake, make_appointment = (
        fixture(name)
        for name in (
            "make_user",
            "make_location",
            "make_provider",
            "make_type",
            "make_intake",
            "make_appointment",
        )
    )
    consent_v1 = fixture("consent_v1")
    user = partial(make_user, password_hash=password_hash)
    now = datetime.now(UTC)

    def clinic_time(days_ahead: int, hour: int) -> datetime:
        """A weekday about `days_ahead` from now (pushed past a weekend) at that hour."""
        return next_weekday_at(now, hour, NEW_YORK, days_ahead=days_ahead)

    place = make_location("27701", name="Durham Central", timezone="America/New_York")
    weekdays = [(place, day, time(8), time(18)) for day in range(5)]
    therapist_x = user(Role.THERAPIST, first_name="Xavier", last_name="Stone")
    therapist_y = user(Role.THERAPIST, first_name="Yara", last_name="Bell")
    provider_x = make_provider(
        "Xavier Stone",
        [place],
        slug="xavier",
        user=therapist_x,
        hours=[*weekdays, (place, SATURDAY, time(9), time(12))],
    )
    provider_y = make_provider("Yara Bell", [place], slug="yara", user=therapist_y, hours=weekdays)
    kind = make_type(name="Dry needling follow-up", duration_minutes=30, buffer_after_minutes=10)

    patient_a = user(Role.PATIENT, first_name="Ann", last_name="Alpha")
    patient_b = user(Role.PATIENT, first_name="Bea", last_name="Beta")
    intake_a, _ = make_intake(patient_a), make_intake(patient_b)
    consent_a = _signed_consent(app, patient_a, consent_v1, "Ann Alpha")
    consent_b = _signed_consent(app, patient_b, consent_v1, "Bea Beta")
    visit = partial(make_appointment, location=place, kind=kind)
    visit_a = visit(
        patient_a,
        provider_x,
        starts_at=clinic_time(14, 10),
        consent_id=consent_a.id,
        intake_id=intake_a.id,
    )
    past_a = visit(
        patient_a, provider_x, starts_at=clinic_time(-7, 10), status=AppointmentStatus.CONFIRMED
    )
    visit_b = visit(patient_b, provider_y, starts_at=clinic_time(14, 10), consent_id=consent_b.id)
    # A dry-needling visit X completed with a signed session note, for the note's pages.
    done_a = visit(
        patient_a, provider_x, starts_at=clinic_time(-14, 10), status=AppointmentStatus.COMPLETED
    )
    persist(
        app,
        NeedlingNote(
            appointment_id=done_a.id,
            therapist_id=therapist_x.id,
            regions=["neck:left"],
            needle_count=4,
            tolerance="good",
            twitch_response=True,
            aftercare="Heat and gentle movement.",
            signed_at=done_a.starts_at,
            signed_by_id=therapist_x.id,
        ),
    )
    check_in_a = persist(
        app, CheckIn(appointment_id=done_a.id, patient_id=patient_a.id, due_at=now, sent_at=now)
    )
    time_off_x, _ = persist(
        app,
        TimeOff(
            provider_id=provider_x.id, starts_at=clinic_time(40, 8), ends_at=clinic_time(40, 12)
        ),
        TimeOff(
            provider_id=provider_y.id, starts_at=clinic_time(40, 8), ends_at=clinic_time(40, 12)
        ),
    )

    # Patient A answered a red flag: the desk must call them.
    callback_a = persist(
        app, Callback(patient_id=patient_a.id, urgent=True, finding_keys=["night_pain"])
    )
    # An earlier one, closed as cleared to book: the desk may book a visit for them from it.
    cleared_a = persist(
        app,
        Callback(
            patient_id=patient_a.id,
            finding_keys=["needle_phobia"],
            status=CallbackStatus.CLOSED,
            closed_at=now,
            outcome=CallbackOutcome.CLEARED,
        ),
    )

    front_desk, admin = user(Role.FRONT_DESK), user(Role.ADMIN)
    # The desk has tried once already: an urgent callback closes only after a logged call.
    persist(
        app,
        CallLog(
            callback_id=callback_a.id,
            patient_id=patient_a.id,
            outcome=CallOutcome.NO_ANSWER,
            advice="",
            by_id=front_desk.id,
            at=now,
        ),
    )
    # A therapist without a profile yet: the staff member an admin edits or links to a profile.
    member = user(Role.THERAPIST, first_name="Sam", last_name="Newcomer")
    with app.app_context():
        session = db.session
        acting = session.get(User, admin.id)
        # A draft that could be published: it has every section a consent checkbox refers to.
        sections = "".join(f"\n## {ack.heading}\n\nText.\n" for ack in ACKNOWLEDGEMENTS)
        body = "# Draft\n\nNot published yet.\n" + sections
        draft = admin_consents.save_draft(None, "2", body, acting)
        # And one still lacking a section: its page says which and offers no publishing.
        unfinished = admin_consents.save_draft(None, "unfinished", "# Draft\n\nUnfinished.", acting)
        feed_token_x = feed.new_token(session.get(Provider, provider_x.id), acting)
        feed.new_token(session.get(Provider, provider_y.id), acting)
        saturday_x = session.scalar(
            select(WorkingHours.id).where(
                WorkingHours.provider_id == provider_x.id, WorkingHours.weekday == SATURDAY
            )
        )
        reset_token_a = accounts.reset_token(session.get(User, patient_a.id), current_settings())
        check_in_token_a = aftercare.check_in_token(check_in_a, current_settings())
        forms_token_a = forms_link.token_for(
            session.get(Appointment, visit_a.id), current_settings()
        )
        draft_id, unfinished_id = draft.id, unfinished.id
        # Patient A waits for X's mornings and holds an open offer of a free time.
        offer_a = waitlist_offers.seed_entry_with_offer(
            patient_a.id,
            SlotChoice(
                session.get(Provider, provider_x.id),
                session.get(Location, place.id),
                session.get(AppointmentType, kind.id),
            ),
            clinic_time(14, 13),
            ["afternoon"],
            settings=current_settings(),
            now=now,
        )
        session.commit()
        offer_token_a = waitlist_offers.offer_token(offer_a, current_settings())
        entry_a = session.get(WaitlistOffer, offer_a).entry_id
    iso = datetime.isoformat
    return SimpleNamespace(
        users={
            "anonymous": None,
            "patient_a": _who(patient_a),
            "patient_b": _who(patient_b),
            "front_desk": _who(front_desk),
            "therapist_x": _who(therapist_x),
            "therapist_y": _who(therapist_y),
            "admin": _who(admin),
        },
        patient_a=patient_a.id,
        patient_a_email=patient_a.email,
        therapist_x=therapist_x.id,
        member=member.id,
        place=place.id,
        kind=kind.id,
        provider_x=provider_x.id,
        visit_a=visit_a.id,
        past_a=past_a.id,
        done_a=done_a.id,
        check_in_token_a=check_in_token_a,
        offer_token_a=offer_token_a,
        entry_a=entry_a,
        wish_from=(datetime.now(NEW_YORK).date() + timedelta(days=1)).isoformat(),
        wish_until=(datetime.now(NEW_YORK).date() + timedelta(days=20)).isoformat(),
        forms_token_a=forms_token_a,
        consent_v1=consent_v1.id,
        consent_a=consent_a.id,
        callback_a=callback_a.id,
        cleared_a=cleared_a.id,
        visit_a_day=visit_a.starts_at.astimezone(NEW_YORK).date().isoformat(),
        visit_b=visit_b.id,
        consent_b=consent_b.id,
        front_desk=front_desk.id,
        hours_x=saturday_x,
        time_off_x=time_off_x.id,
        draft=draft_id,
        unfinished_draft=unfinished_id,
        feed_token_x=feed_token_x,
        reset_token_a=reset_token_a,
        # Free times in X's hours for a booking, a patient's move and a staff move.
        free_1400=iso(clinic_time(14, 14)),
        free_1500=iso(clinic_time(14, 15)),
        free_1600=iso(clinic_time(14, 16)),
        free_1700=iso(clinic_time(14, 17)),
        time_off_from=wall(clinic_time(45, 8)),
        time_off_until=wall(clinic_time(45, 12)),
        export_from=datetime.now(NEW_YORK).date().isoformat(),
        export_until=(datetime.now(NEW_YORK).date() + timedelta(days=30)).isoformat(),
    )
