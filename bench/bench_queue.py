"""The front desk's queue at several sizes of the waiting list, on a database made by
bench/generate.py: SQL time and statements per page, the slowest statement, the render time.

Moves future visits between `requested` and `confirmed` (both hold time, so no overlap
changes) until `--requested` of them wait, then times `GET /staff/requests` in-process.
It changes the database it is given: run it on a copy.
"""

import argparse
import cProfile
import pstats
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager

import _path  # noqa: F401 - puts the project on sys.path
from bench_booking import app_for
from bench_staff import signed_in
from flask import before_render_template, template_rendered
from generate import vacuum_analyze
from sqlalchemy import event, func, select, text, update

from intake.extensions import db
from intake.models import Appointment, utcnow


def set_requested(app, wanted: int) -> int:
    """Requested future visits become confirmed or the other way until `wanted` wait."""
    with app.app_context():
        waiting = db.session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "requested")
        )
        if waiting != wanted:
            source, target = (
                ("requested", "confirmed") if waiting > wanted else ("confirmed", "requested")
            )
            ids = db.session.scalars(
                select(Appointment.id)
                .where(Appointment.status == source, Appointment.starts_at > utcnow())
                .order_by(Appointment.id.desc())
                .limit(abs(waiting - wanted))
            ).all()
            db.session.execute(
                update(Appointment).where(Appointment.id.in_(ids)).values(status=target),
                execution_options={"synchronize_session": False},
            )
            db.session.commit()
            if db.engine.dialect.name == "postgresql":  # as autovacuum would leave the table
                vacuum_analyze("appointments")
        return db.session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "requested")
        )


@contextmanager
def watching(app, per_statement: dict, renders: list):
    """Times each statement (by its first words) and each render_template (the page's)."""
    with app.app_context():
        engine = db.engine
    started: list[float] = []
    render_started: list[float] = []

    def before(conn, cursor, statement, *_):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, *_):
        per_statement[" ".join(statement.split())[:90]].append(time.perf_counter() - started.pop())

    def render_begins(sender, template, **_):
        render_started.append(time.perf_counter())

    def render_ends(sender, template, **_):
        renders.append(time.perf_counter() - render_started.pop())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    before_render_template.connect(render_begins, app)
    template_rendered.connect(render_ends, app)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        before_render_template.disconnect(render_begins, app)
        template_rendered.disconnect(render_ends, app)


def measure(app, client, path: str, count: int, profile: cProfile.Profile | None = None) -> dict:
    for _ in range(10):
        client.get(path)
    per_statement: dict[str, list[float]] = defaultdict(list)
    renders: list[float] = []
    walls = []
    cpu = time.process_time()
    with watching(app, per_statement, renders):
        if profile is not None:
            profile.enable()
        for _ in range(count):
            started = time.perf_counter()
            answer = client.get(path)
            walls.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path} answered {answer.status_code}")
        if profile is not None:
            profile.disable()
    cpu = (time.process_time() - cpu) / count
    sql_total = sum(sum(times) for times in per_statement.values()) / count
    slowest = max(per_statement.items(), key=lambda item: statistics.median(item[1]))
    return {
        "wall": 1000 * statistics.median(walls),
        "cpu": 1000 * cpu,
        "sql": 1000 * sql_total,
        "statements": sum(len(t) for t in per_statement.values()) / count,
        "render": 1000 * statistics.median(renders),
        "slowest": (1000 * statistics.median(slowest[1]), slowest[0]),
        "each": {k: 1000 * statistics.median(t) for k, t in per_statement.items()},
    }


def plans(app, sql: str) -> list[str]:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            return [row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        return [row[0] for row in db.session.execute(text("EXPLAIN " + sql))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="a copy: its statuses change")
    parser.add_argument("--requested", type=int, nargs="+", default=[60, 600, 2000])
    parser.add_argument("--requests", type=int, default=50, help="timed GETs per size")
    parser.add_argument("--path", default="/staff/requests", help="or another page, e.g. a week")
    parser.add_argument("--email", default="frontdesk@example.org", help="who asks for it")
    parser.add_argument("--each", action="store_true", help="every statement's median too")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile: the N costliest")
    parser.add_argument("--sort", default="cumulative", help="the profile's order: tottime ...")
    args = parser.parse_args()

    app = app_for(args.database_url)
    desk = signed_in(app, args.email)
    print(
        f"{'requested':>9} {'wall ms':>8} {'CPU ms':>7} {'SQL ms':>7} {'stmts':>5} {'render ms':>9}"
        "  slowest"
    )
    for wanted in args.requested:
        waiting = set_requested(app, wanted)
        profile = cProfile.Profile() if args.profile else None
        found = measure(app, desk, args.path, args.requests, profile)
        ms, statement = found["slowest"]
        print(
            f"{waiting:>9} {found['wall']:>8.1f} {found['cpu']:>7.2f} {found['sql']:>7.2f} "
            f"{found['statements']:>5.0f} {found['render']:>9.1f}  {ms:.2f} ms {statement}"
        )
        for statement, ms in found["each"].items() if args.each else ():
            print(f"{'':>9} {ms:>8.3f} ms  {statement}")
        if profile is not None:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.profile)


if __name__ == "__main__":
    main()
