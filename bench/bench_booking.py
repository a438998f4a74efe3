"""Booking figures on a database made by bench/generate.py: the slot page in-process (server
time, SQL statements) and POST /book/<slug>/confirm under gunicorn, each beside bare Flask."""

import argparse
import atexit
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from itertools import zip_longest
from pathlib import Path

import _path
import baseline_app
import requests
from generate import PASSWORD
from measure import Timings, fire_posts, gunicorn, sql_listener, time_gets
from sqlalchemy import func, select

from intake import create_app
from intake.config import current_settings
from intake.domain.availability import day_bounds
from intake.extensions import db
from intake.formatting import clinic_today, iso_minute
from intake.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentType,
    Intake,
    Provider,
    User,
    utcnow,
)
from intake.services import free_times

BENCH = Path(__file__).resolve().parent
SECRET_KEY = "bench-only-not-secret"  # noqa: S105
BASE_URL = "http://127.0.0.1"  # production refuses to start without one
HOSTS = ["127.0.0.1", "localhost"]  # gunicorn is asked at the first, the test client the second
# What gunicorn's app reads from the environment (from_prefixed_env parses "false" as JSON).
SERVER_ENV = {
    "SECRET_KEY": SECRET_KEY,
    "FLASK_INTAKE_BASE_URL": BASE_URL,
    "FLASK_TRUSTED_HOSTS": json.dumps(HOSTS),
    "FLASK_WTF_CSRF_ENABLED": "false",
    "FLASK_RATELIMIT_ENABLED": "false",
}


def app_for(database_url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "INTAKE_BASE_URL": BASE_URL,
            "TRUSTED_HOSTS": HOSTS,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def appointment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Appointment))


def shortest_type() -> AppointmentType:
    return db.session.scalars(
        select(AppointmentType).order_by(AppointmentType.duration_minutes)
    ).first()


def busiest_week_page(app) -> str:
    """Next week's page of the provider and location with most holding bookings then."""
    with app.app_context():
        first, zone = clinic_today() + timedelta(days=7), app.config["INTAKE_TIMEZONE"]
        week = (day_bounds(first, zone).start, day_bounds(first + timedelta(days=7), zone).start)
        slug, location_id, count = db.session.execute(
            select(Provider.slug, Appointment.location_id, func.count())
            .join(Appointment, Appointment.provider_id == Provider.id)
            .where(Appointment.status.in_(HOLDING_STATUSES))
            .where(Appointment.starts_at.between(*week))
            .group_by(Provider.slug, Appointment.location_id)
            .order_by(func.count().desc(), Provider.slug)
        ).first()
        print(f"slot page: {slug}, location {location_id}, {count} holding bookings that week")
        kind = shortest_type()
        return f"/book/{slug}?location={location_id}&type={kind.id}&week={first.isoformat()}"


def small_database_url(given: str | None) -> str:
    """The 100-appointment database: given, or generated now in a temporary SQLite file."""
    if given:
        return given
    directory = tempfile.mkdtemp(prefix="intake-bench-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    url = f"sqlite:///{directory}/small.sqlite"
    command = [sys.executable, BENCH / "generate.py", "--database-url", url]
    subprocess.run([*command, "--patients", "200", "--appointments", "100"], check=True)  # noqa: S603
    return url


def free_slot_plan(app, count: int | None) -> list[dict]:
    """Forms for `count` (None: all) free slots that cannot clash: one type, and per provider
    each start after the previous one's buffer. Providers take turns, so the load spreads. From the
    third week on, so the slot page measured (next week) looks the same run after run. Only
    providers taking new patients: the generated patients are new to all of them."""
    with app.app_context():
        kind, now, today = shortest_type(), utcnow(), clinic_today()
        hold = timedelta(minutes=kind.duration_minutes + kind.buffer_after_minutes)
        per_provider = []
        taking = select(Provider).where(Provider.accepting_new_patients).order_by(Provider.id)
        for provider in db.session.scalars(taking):
            starts = sorted(
                (start, location.id)
                for location in provider.locations
                for start in free_times.slots_between(
                    free_times.SlotChoice(provider, location, kind),
                    today + timedelta(days=14),
                    today + timedelta(days=59),
                    now,
                    free_times.rules_for(kind, current_settings()),
                )
            )
            kept: list[tuple] = []
            for start, location_id in starts:
                if not kept or start >= kept[-1][0] + hold:
                    kept.append((start, location_id, provider.slug))
            per_provider.append(kept)
    turns = [slot for turn in zip_longest(*per_provider) for slot in turn if slot is not None]
    if count is not None and len(turns) < count:
        raise SystemExit(f"only {len(turns)} free slots that cannot clash; {count} wanted")
    return [
        {"slug": slug, "location": location_id, "type": kind.id, "start": iso_minute(start)}
        for start, location_id, slug in turns[:count]
    ]


def ready_patient_emails(app, count: int) -> list[str]:
    """Generated patients whose screening lets them book dry needling online."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(User.email)
                .join(Intake, Intake.patient_id == User.id)
                .where(User.email.like("bench-patient-%"), Intake.superseded_at.is_(None))
                .where(Intake.screening_level.is_distinct_from("absolute"))
                .order_by(User.id)
                .limit(count)
            )
        )


def one_post(app, email: str, form: dict) -> tuple[int, int, float]:
    """Status, SQL statements and milliseconds of one POST /confirm, in-process."""
    client, timings = app.test_client(), Timings()
    client.post("/account/login", data={"email": email, "password": PASSWORD})
    timings.start_request()
    with sql_listener(app, timings):
        started = time.perf_counter()
        response = client.post(f"/book/{form['slug']}/confirm", data=form)
    return response.status_code, timings.statements[0], 1000 * (time.perf_counter() - started)


def log_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(
        f"{base}/account/login", data={"email": email, "password": PASSWORD}, allow_redirects=False
    )
    if answer.status_code != 302:
        raise SystemExit(f"login of {email} answered {answer.status_code}")
    return session


def bench_posts(args, app, page: str, forms: list[dict]) -> list[tuple]:
    """The app, then the bare baseline, under the same gunicorn; one result row each.
    The first form of each thread warms up (connections, templates) and is not counted."""
    warmup, env = args.threads, SERVER_ENV | {"DATABASE_URL": args.database_url}
    results = []
    for name, target, chdir in (
        ("app", "intake:create_app()", _path.PROJECT_ROOT),
        ("bare Flask", "baseline_app:app", BENCH),
    ):
        with gunicorn(target, args.port, args.workers, env, chdir) as base:
            if name == "app":
                emails = ready_patient_emails(app, args.threads)
                sessions = [log_in(base, email) for email in emails]
                for session in sessions:
                    session.get(base + page)
            else:
                sessions = [requests.Session() for _ in range(args.threads)]
            fire_posts(base, sessions, forms[:warmup])
            rate, timings, statuses = fire_posts(base, sessions, forms[warmup:])
        codes = ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items()))
        results.append((f"POST /confirm, {name}", rate, timings.ms(0.5), timings.ms(0.95), codes))
    return results


def print_results(args, database: str, gets: list[tuple], posts: list[tuple], single_post):
    print(f"\n{database}; 1-minute load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'in-process GET':<32} {'slots':>5} {'median ms':>9} {'p95 ms':>7} {'CPU ms':>7}", end=""
    )
    print(f" {'SQL ms':>7} {'statements':>10}")
    for name, t, slots in gets:
        cpu, sql = 1000 * t.cpu_seconds / len(t.seconds), 1000 * statistics.median(t.sql_seconds)
        low, high = min(t.statements), max(t.statements)
        spread = str(low) if low == high else f"{low}-{high}"
        print(f"{name:<32} {slots:>5} {t.ms(0.5):>9.2f} {t.ms(0.95):>7.2f} {cpu:>7.2f}", end="")
        print(f" {sql:>7.2f} {spread:>10}")
    print(f"\n{f'gunicorn -w {args.workers}, {args.threads} client threads':<38}", end="")
    print(f" {'req/s':>9} {'median ms':>9} {'p95 ms':>7}  statuses")
    for name, rate, median, p95, codes in posts:
        print(f"{name:<38} {rate:>9.1f} {median:>9.1f} {p95:>7.1f}  {codes}")
    status, statements, ms = single_post
    print(
        f"one POST /confirm in-process: status {status}, {statements} SQL statements, {ms:.1f} ms"
    )


def slots_on(page: bytes) -> int:
    return page.count(b'class="slot"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="made by bench/generate.py")
    parser.add_argument("--small-database-url", help="made with --appointments 100")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per page")
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8731)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops gunicorn

    app = app_for(args.database_url)
    big_count, page = appointment_count(app), busiest_week_page(app)
    big, big_page = time_gets(app, page, args.requests)
    small_app = app_for(small_database_url(args.small_database_url))
    small, small_page = time_gets(small_app, page, args.requests)
    bare_path = f"/book/bare?slots={slots_on(big_page)}"
    bare, bare_page = time_gets(baseline_app.create_app(), bare_path, args.requests)

    forms = free_slot_plan(app, 1 + args.threads + args.posts)
    single_post = one_post(app, ready_patient_emails(app, 1)[0], forms.pop())
    posts = bench_posts(args, app, page, forms)

    gets = [
        (f"slot page, {big_count:,} appointments", big, slots_on(big_page)),
        (f"slot page, {appointment_count(small_app):,} appointments", small, slots_on(small_page)),
        ("bare Flask page", bare, slots_on(bare_page)),
    ]
    print_results(args, args.database_url.partition(":")[0], gets, posts, single_post)


if __name__ == "__main__":
    main()
