"""Fill an EMPTY database with a busy clinic for benchmarks (python bench/generate.py --help)."""

import argparse
import random
import time as timer
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import _path  # noqa: F401 - the project root on sys.path, before `intake` is imported
from rows import Patient, appointment_row, consent_row, event_row, intake_row, user_row
from sqlalchemy import func, insert, inspect, select, text

from intake import create_app
from intake.config import current_settings
from intake.domain.screening import screen
from intake.extensions import db
from intake.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentType,
    Intake,
    Location,
    Provider,
    SignedConsent,
    User,
    WorkingHours,
)
from intake.passwords import hash_password
from intake.services import consents, demo, demo_data

PASSWORD = "bench-password-1"  # noqa: S105 - every bench account, the demo ones included
BATCH = 5_000
PAST_DAYS, FUTURE_DAYS = 300, 60
GRID = timedelta(minutes=15)
FIRST_NAMES = ("Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hana", "Ivan", "Jada")
LAST_NAMES = ("Adams", "Brooks", "Chen", "Davis", "Evans", "Flores", "Garcia", "Ito", "Khan")
PRECAUTIONS = ("anticoagulants", "diabetes", "pregnancy", "fainting_history", "recent_surgery")
RED_FLAGS = ("night_pain", "weight_loss", "fever")
PAST_STATUSES = {"completed": 0.82, "no_show": 0.06, "cancelled": 0.12}
FUTURE_STATUSES = {"confirmed": 0.57, "requested": 0.35, "cancelled": 0.08}


def bench_app(database_url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-only",
            "INTAKE_BASE_URL": "http://127.0.0.1",
        }
    )


def refuse_unless_empty() -> None:
    tables = inspect(db.engine).get_table_names()
    if "users" in tables and db.session.scalar(select(func.count()).select_from(User)):
        raise SystemExit("Refusing: this database already has users. Give an empty one.")


def insert_rows(table, rows: list[dict]) -> list[int]:
    """Core executemany in batches. Ids are given here, not returned by the database: RETURNING
    makes SQLAlchemy send SQLite one row per statement when the order must be kept."""
    first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    for number, row in enumerate(rows, start=first):
        row["id"] = number
    connection = db.session.connection()
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(table), rows[start : start + BATCH])
    if rows and connection.dialect.name == "postgresql":  # the app's next id follows ours
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :last)"),
            {"last": first + len(rows) - 1},
        )
    return [row["id"] for row in rows]


def load_demo_clinic(now: datetime) -> None:
    # Published long ago, so the consents signed below are for a text that existed then.
    consents.publish_version("1", demo.CONSENT_V1.read_text("utf-8"), now=now - timedelta(400))
    demo.seed_demo(current_settings(), password=PASSWORD)


def add_providers(total: int, password_hash: str, now: datetime, rng: random.Random) -> int:
    """Mon-Fri 8:00-17:00; with two locations, Mon/Wed/Fri at one and Tue/Thu at the other.
    Each attested by the demo admin today, so every one is bookable for dry needling."""
    locations = db.session.scalars(select(Location).order_by(Location.id)).all()
    admin = db.session.scalars(select(User).where(User.email == demo_data.ADMIN_EMAIL)).one()
    existing = db.session.scalar(select(func.count()).select_from(Provider))
    for n in range(existing + 1, total + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        places = rng.sample(locations, rng.choice((1, 2)))
        user = User(email=f"bench-therapist-{n:03d}@example.org", role="therapist")
        user.first_name, user.last_name, user.password_hash = first, last, password_hash
        provider = Provider(user=user, slug=f"bench-{first}-{last}-{n}".lower(), locations=places)
        provider.display_name, provider.credentials = f"{first} {last}", "PT, DPT"
        provider.training_hours, provider.bio = rng.randint(30, 200), "A benchmark therapist."
        provider.training_course = "Dry Needling Level 1 and 2"
        provider.training_completed_on = now.date() - timedelta(days=rng.randint(400, 3000))
        provider.attested_on, provider.attested_by_id = now.date(), admin.id
        provider.working_hours = [
            WorkingHours(location=places[d % len(places)], weekday=d, starts=time(8), ends=time(17))
            for d in range(5)
        ]
        db.session.add(provider)
    db.session.commit()
    return max(total - existing, 0)


def intake_answers(n: int, rng: random.Random) -> dict:
    """About 2% with a red flag and 10% with a precaution; everyone else answers "no"."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 60 * 365))
    overrides = {"phone": f"+1919{200 + n // 10_000}{n % 10_000:04d}", "born_on": str(born)}
    roll = rng.random()
    if roll < 0.02:
        overrides[rng.choice(RED_FLAGS)] = "yes"
    elif roll < 0.12:
        key = rng.choice(PRECAUTIONS)
        overrides |= {key: "yes", f"{key}_detail": "Mentioned at the first visit."}
    return demo_data.patient_answers(first, last, f"bench-patient-{n:05d}@example.org", **overrides)


def add_patients(count: int, password_hash: str, now: datetime, rng) -> list[Patient]:
    """Each with a current intake and a consent signed ~335 days ago (valid ~30 days more)."""
    answers = [intake_answers(n, rng) for n in range(1, count + 1)]
    signed = [now - timedelta(days=335, minutes=rng.randint(0, 4000)) for _ in answers]
    users = [user_row(a, at, password_hash) for a, at in zip(answers, signed, strict=True)]
    user_ids = insert_rows(User.__table__, users)
    results = [screen(a) for a in answers]
    intakes = list(map(intake_row, user_ids, answers, results, signed))
    intake_ids = insert_rows(Intake.__table__, intakes)
    version = consents.current_version()
    signatures = [consent_row(*row, version) for row in zip(user_ids, answers, signed, strict=True)]
    consent_ids = insert_rows(SignedConsent.__table__, signatures)
    db.session.commit()
    return [
        Patient(uid, iid, cid, r.to_dict(), r.needs_therapist_review, r.urgent)
        for uid, iid, cid, r in zip(user_ids, intake_ids, consent_ids, results, strict=True)
    ]


def weekly_blocks() -> dict[int, dict[int, list[tuple]]]:
    """provider id -> weekday -> [(location id, zone, starts, ends)], from the database."""
    rows = db.session.execute(
        select(WorkingHours, Location.timezone).join(Location).order_by(WorkingHours.starts)
    ).all()
    blocks: dict[int, dict[int, list[tuple]]] = {}
    for hours, zone in rows:
        day = blocks.setdefault(hours.provider_id, {}).setdefault(hours.weekday, [])
        day.append((hours.location_id, zone, hours.starts, hours.ends))
    return blocks


def blocks_on(week: dict, day: date):
    """(location id, start, end) as UTC instants for a provider's blocks on one local date."""
    for location_id, zone, starts, ends in week.get(day.weekday(), []):
        tz = ZoneInfo(zone)
        yield location_id, *(datetime.combine(day, t, tz).astimezone(UTC) for t in (starts, ends))


def walk_free_slots(blocks, types, today: date, rng, taken: dict) -> list[tuple]:
    """Future visits that never overlap per provider (nor the demo's own requests, `taken`),
    fuller in the coming weeks than later."""
    booked = []
    for provider_id, week in blocks.items():
        for ahead in range(1, FUTURE_DAYS + 1):
            occupancy = 0.85 - 0.6 * ahead / FUTURE_DAYS
            for location_id, start, end in blocks_on(week, today + timedelta(days=ahead)):
                slot = start
                while True:
                    kind = rng.choice(types)
                    if slot + timedelta(minutes=kind.duration_minutes) > end:
                        break
                    held = timedelta(minutes=kind.duration_minutes + kind.buffer_after_minutes)
                    clash = any(s < slot + held and slot < e for s, e in taken.get(provider_id, ()))
                    if rng.random() < occupancy and not clash:
                        booked.append((provider_id, location_id, kind, slot))
                        slot += -(-held // GRID) * GRID  # the first grid point after the buffer
                    else:
                        slot += 2 * GRID
    return booked


def scatter_past(blocks, types, today: date, count: int, rng) -> list[tuple]:
    """Past visits at random grid times in working hours. They hold no time, so they may
    overlap: 100,000 visits do not fit one after another into 20 providers' 300 days."""
    provider_ids, placed = list(blocks), []
    while len(placed) < count:
        provider_id = rng.choice(provider_ids)
        day = today - timedelta(days=rng.randint(1, PAST_DAYS))
        if options := list(blocks_on(blocks[provider_id], day)):
            location_id, start, end = rng.choice(options)
            kind = rng.choice(types)
            steps = (end - start - timedelta(minutes=kind.duration_minutes)) // GRID
            placed.append((provider_id, location_id, kind, start + rng.randint(0, steps) * GRID))
    return placed


def add_appointments(count: int, patients: list[Patient], now: datetime, rng) -> int:
    types = db.session.scalars(select(AppointmentType).order_by(AppointmentType.id)).all()
    blocks, today = weekly_blocks(), now.date()
    taken: dict[int, list[tuple]] = {}
    for provider_id, starts, until in db.session.execute(
        select(Appointment.provider_id, Appointment.starts_at, Appointment.blocks_until).where(
            Appointment.status.in_(HOLDING_STATUSES)
        )
    ):
        taken.setdefault(provider_id, []).append((starts, until))
    walked = walk_free_slots(blocks, types, today, rng, taken)
    wanted_future = round(count * FUTURE_DAYS / (PAST_DAYS + FUTURE_DAYS))
    future = rng.sample(walked, min(len(walked), wanted_future))
    past = scatter_past(blocks, types, today, count - len(future), rng)

    def rows_for(visits: list[tuple], statuses: dict[str, float]) -> list[dict]:
        chosen = rng.choices(list(statuses), list(statuses.values()), k=len(visits))
        return [
            appointment_row(visit, status, rng.choice(patients), now, rng)
            for visit, status in zip(visits, chosen, strict=True)
        ]

    rows = rows_for(past, PAST_STATUSES) + rows_for(future, FUTURE_STATUSES)
    rows.sort(key=lambda row: row["starts_at"])
    ids = insert_rows(Appointment.__table__, rows)
    insert_rows(AppointmentEvent.__table__, list(map(event_row, ids, rows)))
    db.session.commit()
    return len(rows)


def refresh_statistics() -> None:
    """The tables as autovacuum leaves them soon after a bulk load: the planner's statistics,
    and the visibility map without which an index-only scan reads the table too (a count of
    the queue's 1,535 requests: 1.16 ms before, 0.31 ms after). This server may run with
    autovacuum off; a clinic's does not."""
    vacuum_analyze()


def vacuum_analyze(table_name: str = "") -> None:
    """VACUUM ANALYZE on PostgreSQL (one table, or all), after committing the session."""
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # VACUUM refuses to run in a transaction; the name is ours, never typed by anyone.
        connection.execute(text(f"VACUUM ANALYZE {table_name}".strip()))


def timed(name: str, work, *args):
    started = timer.perf_counter()
    result = work(*args)
    count = len(result) if isinstance(result, list) else result
    seconds = timer.perf_counter() - started
    print(f"{name:<13} {'' if count is None else count:>8} {seconds:7.1f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
    args = parser.parse_args()
    rng, now, started = random.Random(args.seed), datetime.now(UTC), timer.perf_counter()
    with bench_app(args.database_url).app_context():
        refuse_unless_empty()
        password_hash = hash_password(PASSWORD)  # argon2 is slow by design: once for everyone
        timed("schema", db.create_all)
        timed("demo clinic", load_demo_clinic, now)
        timed("providers", add_providers, args.providers, password_hash, now, rng)
        patients = timed("patients", add_patients, args.patients, password_hash, now, rng)
        timed("appointments", add_appointments, args.appointments, patients, now, rng)
        if db.engine.dialect.name == "postgresql":
            timed("vacuum analyze", refresh_statistics)
        for model in (User, Provider, Intake, SignedConsent, Appointment, AppointmentEvent):
            rows = db.session.scalar(select(func.count()).select_from(model))
            print(f"  {model.__tablename__:<20} {rows:>8}")
    print(f"done in {timer.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
