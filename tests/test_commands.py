"""The CLI: loading the demo clinic and creating accounts."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Callback,
    CheckIn,
    ConsentVersion,
    Intake,
    Location,
    NeedlingAddendum,
    NeedlingNote,
    Provider,
    SignedConsent,
    User,
    WorkingHours,
    utcnow,
)
from intake.passwords import verify_password
from intake.services import demo_data

MODELS = (
    Callback,
    NeedlingNote,
    NeedlingAddendum,
    AdverseEvent,
    CheckIn,
    User,
    Location,
    Provider,
    WorkingHours,
    AppointmentType,
    Callback,
    CheckIn,
    ConsentVersion,
    Intake,
    SignedConsent,
    Appointment,
)


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def test_seed_demo_fills_an_empty_database_and_prints_every_login(app, runner):
    result = runner.invoke(args=["seed-demo", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    assert "front_desk  Dana Reyes" in result.output
    counts = row_counts(app)
    assert counts["Location"] >= 3
    assert counts["Provider"] >= 4
    expected_logins = len(demo_data.STAFF) + len(demo_data.PATIENTS) + len(demo_data.THERAPISTS)
    assert counts["User"] == expected_logins + len(demo_data.REGULARS)
    assert result.output.count("demo-password-1") == expected_logins
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.role == "admin")).one()
        assert verify_password(admin.password_hash, "demo-password-1")
        durham = db.session.scalars(select(Location).where(Location.zip_code == "27701")).one()
        assert round(durham.latitude, 2) == 36.0


def test_the_demo_gives_every_safety_page_something_to_show(app, runner, login_as):
    runner.invoke(args=["seed-demo", "--password", "demo-password-1"])
    counts = row_counts(app)
    for model in ("Callback", "NeedlingAddendum", "AdverseEvent"):
        assert counts[model] == 1, model
    assert counts["NeedlingNote"] > 1  # last week's visits were written up
    with app.app_context():
        desk = db.session.scalars(select(User).where(User.role == "front_desk")).one()
        admin = db.session.scalars(select(User).where(User.role == "admin")).one()
        [check_in] = db.session.scalars(select(CheckIn)).all()
        assert check_in.answered_at is not None and check_in.alarming is False
        db.session.expunge_all()
    client = login_as(desk, "demo-password-1")
    waiting = client.get("/staff/callbacks").get_data(as_text=True)
    assert "Casey Ford" in waiting  # the night-pain patient: a red flag, called today
    client.post("/account/logout")
    login_as(admin, "demo-password-1")
    assert "Bruising" in client.get("/admin/safety").get_data(as_text=True)


def test_the_demo_calendar_has_a_working_clinics_two_weeks(app, runner):
    runner.invoke(args=["seed-demo", "--password", "demo-password-1"])
    now = utcnow()
    with app.app_context():
        rows = db.session.execute(
            select(Appointment.status, Appointment.starts_at, Appointment.provider_id).where(
                Appointment.starts_at >= now - timedelta(days=7),
                Appointment.starts_at < now + timedelta(days=7),
            )
        ).all()
        therapists = db.session.scalar(select(func.count()).select_from(Provider))
    past = Counter(status for status, starts_at, _ in rows if starts_at < now)
    ahead = Counter(status for status, starts_at, _ in rows if starts_at >= now)
    # Every therapist works at least three days a week: a week either side fills many slots.
    assert past[AppointmentStatus.COMPLETED] >= 20
    assert past[AppointmentStatus.CANCELLED] >= 1 and past[AppointmentStatus.NO_SHOW] >= 1
    assert ahead[AppointmentStatus.CONFIRMED] >= 20
    assert len({provider for _, _, provider in rows}) == therapists


def test_seed_demo_without_password_prints_random_ones(app, runner):
    result = runner.invoke(args=["seed-demo"])
    passwords = [line.split()[-1] for line in result.output.splitlines()[1:]]
    assert len(passwords) == len(set(passwords)) > 4
    assert all(len(p) >= 10 for p in passwords)


def test_seed_demo_twice_duplicates_nothing(app, runner):
    runner.invoke(args=["seed-demo", "--password", "demo-password-1"])
    first = row_counts(app)

    again = runner.invoke(args=["seed-demo", "--password", "demo-password-2"])
    assert "already has accounts; nothing was changed" in again.output
    assert row_counts(app) == first

    forced = runner.invoke(args=["seed-demo", "--force", "--password", "demo-password-2"])
    assert forced.exit_code == 0, forced.output
    assert row_counts(app) == first
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "admin@example.org")).one()
        assert verify_password(user.password_hash, "demo-password-2")


def test_users_create_prompts_for_a_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "  New.Staff@Example.ORG ", "--role", "front_desk"],
        input="Sam\nLee\nlong-enough-pass\nlong-enough-pass\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "new.staff@example.org")).one()
        assert user.role == "front_desk"
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "long-enough-pass")


def test_users_create_refuses_a_short_password_and_a_duplicate(app, runner, make_user):
    make_user(email="taken@example.org")
    short = runner.invoke(
        args=[
            "users",
            "create",
            "a@example.org",
            "--role",
            "admin",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--password",
            "short",
        ],
    )
    assert short.exit_code != 0
    assert "at least 10 characters" in short.output
    taken = runner.invoke(
        args=[
            "users",
            "create",
            "TAKEN@example.org",
            "--role",
            "admin",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--password",
            "long-enough-pass",
        ],
    )
    assert taken.exit_code != 0
    assert "already exists" in taken.output
    assert row_counts(app)["User"] == 1
