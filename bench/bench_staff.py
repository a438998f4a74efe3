"""Staff pages on a database made by bench/generate.py: the first page of the front desk's
queue, a therapist's busiest week and the audit log, in-process, beside bare Flask."""

import argparse
from datetime import timedelta

import _path  # noqa: F401 - puts the project on sys.path
import baseline_app
from bench_booking import app_for
from generate import PASSWORD
from measure import time_gets
from sqlalchemy import func, select

from intake.domain.availability import day_bounds
from intake.extensions import db
from intake.formatting import clinic_today
from intake.models import HOLDING_STATUSES, Appointment, Provider, User


def signed_in(app, email: str):
    client = app.test_client()
    answer = client.post("/account/login", data={"email": email, "password": PASSWORD})
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: {answer.status_code}")
    return client


def busiest_therapist_week(app) -> tuple[str, str, int]:
    """The therapist with the most holding visits next week, and that week's Monday."""
    with app.app_context():
        monday = clinic_today() + timedelta(days=7 - clinic_today().weekday())
        week = day_bounds(monday, "America/New_York").start
        row = db.session.execute(
            select(User.email, func.count(Appointment.id))
            .join(Provider, Provider.user_id == User.id)
            .join(Appointment, Appointment.provider_id == Provider.id)
            .where(
                Appointment.status.in_(HOLDING_STATUSES),
                Appointment.starts_at >= week,
                Appointment.starts_at < week + timedelta(days=7),
            )
            .group_by(User.email)
            .order_by(func.count(Appointment.id).desc())
        ).first()
    return row[0], monday.isoformat(), row[1]


def counts(app) -> str:
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Appointment))
        waiting = db.session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "requested")
        )
        patients = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == "patient")
        )
    return f"{patients:,} patients, {total:,} appointments ({waiting:,} requested)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="made by bench/generate.py")
    parser.add_argument("--small-database-url", help="made with --appointments 100")
    parser.add_argument("--requests", type=int, default=100, help="timed GETs per page")
    args = parser.parse_args()

    rows = []
    for label, url in (("big", args.database_url), ("small", args.small_database_url)):
        if url is None:
            continue
        app = app_for(url)
        therapist, week, visits = busiest_therapist_week(app)
        desk = signed_in(app, "frontdesk@example.org")
        admin = signed_in(app, "admin@example.org")
        pages = [
            ("front desk queue, first page", "/staff/requests", desk),
            (
                f"therapist week ({visits} visits)",
                f"/schedule?view=week&date={week}",
                signed_in(app, therapist),
            ),
            ("audit log, first page", "/admin/audit", admin),
        ]
        print(f"{label}: {counts(app)}")
        for name, path, client in pages:
            timings, _ = time_gets(app, path, args.requests, client=client)
            rows.append((label, name, timings))
    bare, _ = time_gets(baseline_app.create_app(), "/book/bare?slots=50", args.requests)
    rows.append(("-", "bare Flask page", bare))

    print(f"\n{'data':<6} {'page':<34} {'median ms':>9} {'p95 ms':>7} {'SQL':>4}")
    for label, name, timings in rows:
        statements = max(timings.statements) if timings.statements else 0
        print(
            f"{label:<6} {name:<34} {timings.ms(0.5):>9.1f} {timings.ms(0.95):>7.1f} "
            f"{statements:>4}"
        )


if __name__ == "__main__":
    main()
