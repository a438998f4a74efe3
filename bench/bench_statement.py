"""What one statement costs the Python process, by the layer it goes through: the ORM session,
a SQLAlchemy connection, and the database driver's cursor. The same indexed read each time
(the booking's own bookings-and-time-off statement, on a database made by generate.py), and
`SELECT 1`, which leaves only the layers' own cost. CPU microseconds a statement, medians of
rounds; the booking POST runs about ten statements through the session."""

import argparse
import statistics
import time
from datetime import timedelta

import _path  # noqa: F401 - puts the project on sys.path
from bench_booking import app_for
from sqlalchemy import event, func, select, text

from intake.domain.availability import day_bounds
from intake.extensions import db
from intake.formatting import clinic_today
from intake.models import Appointment
from intake.services import free_times

SQLITE_URL = "sqlite:////tmp/intake_bench.sqlite"


def cpu_us(run, count: int, rounds: int) -> float:
    """Median over rounds of the CPU microseconds of one call."""
    run()  # warm: compiled and cached
    figures = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            run()
        figures.append(1e6 * (time.process_time() - started) / count)
    return statistics.median(figures)


def booking_read_parameters(zone: str) -> dict:
    """The free-time check's parameters: a day two weeks ahead, for the provider with the most
    visits booked that day."""
    span = day_bounds(clinic_today() + timedelta(days=14), zone)
    provider_id = db.session.scalar(
        select(Appointment.provider_id)
        .where(Appointment.starts_at.between(span.start, span.end))
        .group_by(Appointment.provider_id)
        .order_by(func.count().desc(), Appointment.provider_id)
    )
    return {
        "provider_id": provider_id,
        "span_start": span.start,
        "span_end": span.end,
        "earliest_start": span.start - timedelta(days=1),
        "ignored_id": 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=SQLITE_URL, help="made by generate.py")
    parser.add_argument("--count", type=int, default=2000, help="statements a round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = app_for(args.database_url)
    with app.app_context():
        where = booking_read_parameters(app.config["INTAKE_TIMEZONE"])
        booking_read = free_times._span_queries().blocked
        one = select(text("1"))
        session = db.session
        connection = session.connection()  # the session's own, inside its transaction
        sql, parameters = driver_form(connection, booking_read, where)
        cursor = connection.connection.dbapi_connection.cursor()
        rows = [
            ("ORM session", lambda: session.execute(booking_read, where).all(),
             lambda: session.execute(one).all()),
            ("SQLAlchemy connection", lambda: connection.execute(booking_read, where).all(),
             lambda: connection.execute(one).all()),
            ("driver cursor", lambda: cursor.execute(sql, parameters).fetchall(),
             lambda: cursor.execute("SELECT 1").fetchall()),
        ]  # fmt: skip
        found = len(session.execute(booking_read, where).all())
        print(f"{db.engine.dialect.name}: CPU microseconds a statement, median of {args.rounds}")
        print(f"(the booking's read finds {found} rows)\n")
        print("| through | booking's read | SELECT 1 |")
        print("| --- | --- | --- |")
        for label, read, trivial in rows:
            print(
                f"| {label} | {cpu_us(read, args.count, args.rounds):,.0f} "
                f"| {cpu_us(trivial, args.count, args.rounds):,.0f} |"
            )
        session.rollback()


def driver_form(connection, statement, where: dict) -> tuple[str, object]:
    """The statement as the driver receives it (SQL text and processed values), caught once
    on its way through SQLAlchemy."""
    seen = []

    def catch(_conn, _cursor, sql, parameters, _context, _many):
        seen.append((sql, parameters))

    event.listen(connection, "before_cursor_execute", catch)
    try:
        connection.execute(statement, where).all()
    finally:
        event.remove(connection, "before_cursor_execute", catch)
    return seen[0]


if __name__ == "__main__":
    main()
