"""The app beside bare Flask under gunicorn, page by page, in one table (see bench/README.md).

Both run with the production server settings (deploy/gunicorn.conf.py: sync workers, access
log) on a throwaway copy of the data set; the app as production runs it, with CSRF, the rate
limiter and security headers on, signed in for real. wrk loads each page and its bare
counterpart in turn, A B B A, for several rounds; the table shows medians."""

import argparse
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import _path
import baseline_app
import requests
from bench_booking import busiest_week_page, free_slot_plan, ready_patient_emails
from bench_public import first_provider_slug
from bench_staff import busiest_therapist_week
from generate import PASSWORD
from measure import stop_group
from sqlalchemy import create_engine, event, text

from intake import create_app
from intake.domain.availability import day_bounds
from intake.extensions import db

BENCH = Path(__file__).resolve().parent
SQLITE_URL = "sqlite:////tmp/intake_bench.sqlite"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SECRET_KEY = "bench-only-not-secret"  # noqa: S105
HOSTS = '["127.0.0.1", "localhost"]'
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DESK = "frontdesk@example.org"


@dataclass(frozen=True)
class Route:
    name: str
    compared_with: str
    target: float
    path: str
    bare_path: str
    signed_in_as: str = ""  # an email: the app's request carries that account's session
    method: str = "GET"


@dataclass
class Run:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # the server's workers, per request
    failed: int  # answers other than 2xx/3xx, and socket errors
    requests: int
    repeated: int = 0  # booking POSTs that made no request (see BookingForms)


@dataclass
class Result:
    route: Route
    app: list[Run] = field(default_factory=list)
    bare: list[Run] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    statements: int = 0

    def median(self, side: str, name: str) -> float:
        return statistics.median(getattr(run, name) for run in getattr(self, side))

    @property
    def ratio(self) -> float:
        return self.median("app", "requests_per_second") / self.median(
            "bare", "requests_per_second"
        )


# --- the data set and its throwaway copy ----------------------------------------------------


def data_set(args) -> str:
    """The generated database: reused when it exists, generated (~25 s) when it does not."""
    url = args.database_url or (f"{POSTGRES_SERVER}/intake_bench" if args.postgres else SQLITE_URL)
    if url.startswith("sqlite"):
        if not Path(urlsplit(url).path).exists():
            generate(url, args)
    elif not _postgres_has_users(url):
        generate(url, args)
    return url


def generate(url: str, args) -> None:
    print(f"generating {args.patients:,} patients and {args.appointments:,} appointments")
    command = [sys.executable, BENCH / "generate.py", "--database-url", url]
    command += ["--patients", str(args.patients), "--appointments", str(args.appointments)]
    subprocess.run(command, check=True)  # noqa: S603 - our own script


def _server_admin(url: str):
    return create_engine(url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT")


def _postgres_has_users(url: str) -> bool:
    name = url.rsplit("/", 1)[1]
    admin = _server_admin(url)
    with admin.connect() as connection:
        found = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.connect() as connection:
        has_table = connection.scalar(text("SELECT to_regclass('users') IS NOT NULL"))
        users = has_table and connection.scalar(text("SELECT count(*) FROM users"))
    engine.dispose()
    return bool(users)


def working_copy(url: str) -> str:
    """A fresh copy for this run: bookings it makes never reach the data set."""
    if url.startswith("sqlite"):
        source, copy = urlsplit(url).path, "/tmp/intake_bench_run.sqlite"  # noqa: S108
        for suffix in ("", "-wal", "-shm"):
            Path(copy + suffix).unlink(missing_ok=True)
        with sqlite3.connect(source) as original, sqlite3.connect(copy) as duplicate:
            original.backup(duplicate)
        copied = f"sqlite:///{copy}"
    else:
        name = url.rsplit("/", 1)[1]
        admin = _server_admin(url)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}_run" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}_run" TEMPLATE "{name}"'))
        admin.dispose()
        copied = f"{url}_run"
    baseline_app.create_table(copied)
    return copied


# --- what to load: pages chosen on the data, and statements counted in-process --------------


def bench_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET_KEY,
            "INTAKE_BASE_URL": "http://127.0.0.1",
            "TRUSTED_HOSTS": ["127.0.0.1", "localhost"],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def choose_routes(app) -> tuple[list[Route], str]:
    """Every page of the issue's table on this data, and the therapist whose week is shown."""
    slot_page = busiest_week_page(app)
    therapist, monday, _ = busiest_therapist_week(app)
    slug = first_provider_slug(app)
    with app.app_context():
        slug_shown = urlsplit(slot_page).path.split("/")[2]
        provider_id = db.session.execute(
            text("SELECT id FROM providers WHERE slug = :s"), {"s": slug_shown}
        ).scalar_one()
        since = day_bounds(time_of(slot_page), app.config["INTAKE_TIMEZONE"]).start
    rows = "/rows?" + urlencode({"provider": provider_id, "since": f"{since:%Y-%m-%d %H:%M:%S}"})
    template = "bare template page"
    return [
        Route("/", template, 0.8, "/", "/page"),
        Route("/dry-needling", template, 0.8, "/dry-needling", "/page"),
        Route("/providers?near=27701", template, 0.8, "/providers?near=27701", "/page"),
        Route("/providers/<slug>", template, 0.8, f"/providers/{slug}", "/page"),
        Route("slot page", "bare 48-row read", 0.5, slot_page, rows),
        Route("/staff/requests", "bare 48-row read", 0.5, "/staff/requests", rows, DESK),
        Route(
            "/schedule week",
            "bare 48-row read",
            0.5,
            f"/schedule?view=week&date={monday}",
            rows,
            therapist,
        ),
        Route("booking POST", "bare insert + commit", 0.5, "", "/insert", "", "POST"),
    ], therapist


def time_of(slot_page: str) -> date:
    return date.fromisoformat(slot_page.rsplit("week=", 1)[1])


def count_statements(app, route: Route, form: dict | None) -> int:
    """Statements of one warm request, in-process (the servers' own are not observable)."""
    client = app.test_client()
    if route.signed_in_as:
        client.post("/account/login", data={"email": route.signed_in_as, "password": PASSWORD})
    if form is not None:  # signed in, then the confirm page, as a patient comes to the POST
        client.post("/account/login", data={"email": form.pop("email"), "password": PASSWORD})
        client.get(f"/book/{form['slug']}/confirm", query_string=form)
    else:
        client.get(route.path)
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(*_):
        seen.append("")

    event.listen(engine, "before_cursor_execute", count)
    try:
        if form is None:
            client.get(route.path)
        else:
            client.post(f"/book/{form['slug']}/confirm", data=form)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def write_lock_hold_ms(app, emails: list[str], forms: list[dict]) -> float | None:
    """Median time booking POSTs hold SQLite's write lock: BEGIN IMMEDIATE to COMMIT."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return None
    held: list[float] = []
    began: list[float] = []

    def before(conn, cursor, statement, *_):
        if statement.startswith("BEGIN IMMEDIATE"):
            began.append(time.perf_counter())

    def ended(*_):
        if began:
            held.append(time.perf_counter() - began.pop())

    client = app.test_client()
    client.post("/account/login", data={"email": emails[0], "password": PASSWORD})
    held.clear()
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    try:
        for form in forms:
            began.clear()
            client.post(f"/book/{form['slug']}/confirm", data=form)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", ended)
        event.remove(engine, "rollback", ended)
    return 1000 * statistics.median(held) if held else None


# --- the servers ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    base: str

    def cpu_seconds(self) -> float:
        """Its workers' CPU, the ones recycled (max_requests) and waited for included."""
        ticks = os.sysconf("SC_CLK_TCK")
        fields = _stat(self.process.pid)
        total = int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
        for pid in self.workers():
            worker = _stat(pid)
            if worker:
                total += int(worker[11]) + int(worker[12])  # utime, stime
        return total / ticks

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def memory_mb(self) -> dict[str, float]:
        """Mean RSS, PSS and USS (private pages) of its workers."""
        sums = {"RSS": 0.0, "PSS": 0.0, "USS": 0.0}
        workers = self.workers()
        for pid in workers:
            rollup = _rollup(pid)
            sums["RSS"] += rollup["Rss"]
            sums["PSS"] += rollup["Pss"]
            sums["USS"] += rollup["Private_Clean"] + rollup["Private_Dirty"]
        return {name: kb / 1024 / len(workers) for name, kb in sums.items()}


def _stat(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:  # recycled between listing and reading
        return []
    return raw.rpartition(") ")[2].split()


def _rollup(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0])
    return values


def start_server(target: str, chdir: Path, port: int, env: dict, workers: int, log: Path):
    command = [str(Path(sys.executable).parent / "gunicorn")]
    command += ["-c", str(_path.PROJECT_ROOT / "deploy" / "gunicorn.conf.py")]
    command += ["--chdir", str(chdir), "-b", f"127.0.0.1:{port}", "-w", str(workers), target]
    with log.open("w") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
            command,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,  # the access log: written, as in production, then dropped
            stderr=errors,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"{target} exited with {process.returncode}; see {log}")
        try:
            requests.get(base + "/page" if "baseline" in target else base + "/", timeout=10)
            return Server(process, base)
        except requests.RequestException:
            time.sleep(0.1)
    stop_group(process)
    raise SystemExit(f"{target} did not answer within 60 seconds; see {log}")


def server_env(url: str, workers: int) -> dict:
    env = {
        "SECRET_KEY": SECRET_KEY,
        "FLASK_INTAKE_BASE_URL": "http://127.0.0.1",
        "FLASK_TRUSTED_HOSTS": HOSTS,
        "DATABASE_URL": url,
        "WEB_CONCURRENCY": str(workers),
        # Each run counts its own sign-ins, whatever an earlier run left in Redis.
        "FLASK_RATELIMIT_KEY_PREFIX": f"bench-{os.getpid()}-{time.time_ns()}",
    }
    if _redis_answers():
        env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    return env


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def sign_in(base: str, email: str) -> requests.Session:
    """A real sign-in: the login page's CSRF token, then the form."""
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/account/login").text).group(1)
    answer = session.post(
        f"{base}/account/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"sign-in of {email} answered {answer.status_code}")
    return session


def booking_session(base: str, email: str, form: dict) -> tuple[str, str]:
    """A patient's session cookie and the CSRF token of the confirm page its posts come from."""
    session = sign_in(base, email)
    query = urlencode({k: form[k] for k in ("location", "type", "start")})
    page = session.get(f"{base}/book/{form['slug']}/confirm?{query}")
    return cookie_header(session), CSRF.search(page.text).group(1)


def current_cookie(server: Server, path: str, session: requests.Session) -> str:
    """The cookie as a browser would hold it now. A staff session's idle clock is renewed at
    most every 30 s, in a new cookie the browser keeps; wrk sends one cookie for a whole run,
    and one from minutes ago would have every request renew the clock and sign a cookie."""
    session.get(server.base + path, allow_redirects=False)
    return cookie_header(session)


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)


# --- load -----------------------------------------------------------------------------------


def wrk(server: Server, path: str, args, env: dict, script: str, seconds: int) -> Run:
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    command += ["-d", f"{seconds}s", "-s", str(BENCH / "wrk" / script), server.base + path]
    cpu = server.cpu_seconds()
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        command,
        env={**os.environ, **env, "BENCH_WRK_DIR": str(BENCH / "wrk")},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    cpu = server.cpu_seconds() - cpu
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH "))
    figures = {k: int(v) for k, v in (pair.split("=") for pair in line.split()[1:])}
    count = max(figures["requests"], 1)
    return Run(
        requests_per_second=count / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        cpu_ms=1000 * cpu / count,
        failed=figures["bad_status"] + figures["socket_errors"],
        requests=figures["requests"],
    )


class BookingForms:
    """Slots that cannot clash, the same for every wrk run of the booking POST: after each run
    the requests it made are deleted (outside the timed window), so every POST of the next run
    books a free slot again. A POST that asked for a slot already taken by its own patient
    would be answered as a double submit (a redirect to the request), cheaper than a booking:
    `settle` counts the requests a run made against the answers wrk saw and reports any
    shortfall, so such a run cannot pass for a run of bookings."""

    def __init__(self, forms: list[dict], sessions: list[tuple[str, str]], database_url: str):
        """sessions: (cookie header, CSRF token) of each wrk thread's patient."""
        self.engine = create_engine(database_url)
        self.directory = Path(tempfile.mkdtemp(prefix="intake-bench-forms-"))
        with self.engine.connect() as connection:
            self.last_id_before = connection.scalar(text("SELECT max(id) FROM appointments"))
        self.stem = str(self.directory / "forms")
        for thread, (cookie, token) in enumerate(sessions):
            lines = [cookie]
            for form in forms[thread :: len(sessions)]:
                body = {k: form[k] for k in ("location", "type", "start")}
                body["csrf_token"] = token
                lines.append(f"/book/{form['slug']}/confirm\t{urlencode(body)}")
            Path(f"{self.stem}.{thread}").write_text("\n".join(lines) + "\n")

    def settle(self, run: Run) -> Run:
        """The requests the run made, counted as they are deleted with their history and emails.
        Deletes first: a read first would pin a snapshot that a late commit makes stale."""
        time.sleep(0.5)  # the answers wrk stopped waiting for are written by now
        mark = {"m": self.last_id_before}
        with self.engine.begin() as connection:
            for table in ("outbox_messages", "appointment_events"):
                statement = f"DELETE FROM {table} WHERE appointment_id > :m"  # noqa: S608 - ours
                connection.execute(text(statement), mark)
            made = connection.execute(text("DELETE FROM appointments WHERE id > :m"), mark).rowcount
        # wrk counts the answers it read; the server may have booked one more per connection.
        run.repeated = max(0, run.requests - made)
        return run


def bare_insert_files(threads: int) -> str:
    stem = Path(tempfile.mkdtemp(prefix="intake-bench-bare-")) / "forms"
    for thread in range(threads):
        Path(f"{stem}.{thread}").write_text("\n/insert\tnote=a+booking+request\n")
    return str(stem)


def measure(route: Route, app_server: Server, bare: Server, args, sessions, booking) -> Result:
    result = Result(route)
    bare_env = {"BENCH_FORMS": bare_insert_files(args.threads)} if route.method == "POST" else {}
    script = "post.lua" if route.method == "POST" else "get.lua"

    def once(side: str, seconds: int) -> Run:
        if side == "bare":
            return wrk(bare, route.bare_path, args, bare_env, script, seconds)
        env = {}
        if route.signed_in_as:
            session = sessions[route.signed_in_as]
            env["BENCH_COOKIE"] = current_cookie(app_server, route.path, session)
        if route.method != "POST":
            return wrk(app_server, route.path or "/", args, env, script, seconds)
        env["BENCH_FORMS"] = booking.stem
        return booking.settle(wrk(app_server, route.path or "/", args, env, script, seconds))

    for side in ("app", "bare"):  # warm both: templates, caches, connections
        once(side, 1)
    for _ in range(args.rounds):
        for side in ("app", "bare", "bare", "app"):
            getattr(result, side).append(once(side, args.seconds))
        result.loads.append(os.getloadavg()[0])
    return result


# --- the table ------------------------------------------------------------------------------


def print_table(results: list[Result], args, database: str, memory: dict, lock_ms) -> None:
    print(
        f"\n{database}, gunicorn -w {args.workers} (sync, deploy/gunicorn.conf.py), wrk -t "
        f"{args.threads} -c {args.connections}, {args.rounds} rounds of A B B A x {args.seconds} s,"
        f" {os.cpu_count()} CPUs; medians\n"
    )
    header = (
        "| page | compared with | app req/s | bare req/s | ratio | target | app p50 / p99 ms "
        "| bare p50 / p99 ms | CPU ms app / bare | statements | load |"
    )
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for result in results:
        route, failed = result.route, sum(run.failed for run in result.app + result.bare)
        repeated = sum(run.repeated for run in result.app)
        verdict = "ok" if result.ratio >= route.target else "BELOW"
        print(
            f"| {route.name} | {route.compared_with} "
            f"| {result.median('app', 'requests_per_second'):,.0f} "
            f"| {result.median('bare', 'requests_per_second'):,.0f} "
            f"| {result.ratio:.2f} | {route.target} {verdict} "
            f"| {result.median('app', 'p50_ms'):.1f} / {result.median('app', 'p99_ms'):.1f} "
            f"| {result.median('bare', 'p50_ms'):.1f} / {result.median('bare', 'p99_ms'):.1f} "
            f"| {result.median('app', 'cpu_ms'):.2f} / {result.median('bare', 'cpu_ms'):.2f} "
            f"| {result.statements} | {min(result.loads):.1f}-{max(result.loads):.1f} |"
            + (f" {failed} failed answers" if failed else "")
            + (f" {repeated} POSTs repeated a slot: too few free slots" if repeated else "")
        )
    app_memory, bare_memory = memory["app"], memory["bare"]
    print(
        "\nworker memory, MB (app / bare = ratio): "
        + ", ".join(
            f"{name} {app_memory[name]:.0f} / {bare_memory[name]:.0f} = "
            f"{app_memory[name] / bare_memory[name]:.2f}"
            for name in ("RSS", "PSS", "USS")
        )
    )
    if lock_ms is not None:
        print(f"booking POST holds SQLite's write lock {lock_ms:.2f} ms (median, in-process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--database-url", help="a data set made by bench/generate.py")
    parser.add_argument("--patients", type=int, default=20_000, help="when generating")
    parser.add_argument("--appointments", type=int, default=100_000, help="when generating")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4, help="per wrk run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8741, help="the app's; bare Flask's is +1")
    parser.add_argument("--only", help="run the pages whose name contains this")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the servers

    source = data_set(args)
    url = working_copy(source)
    app = bench_app(url)
    routes, therapist = choose_routes(app)
    if args.only:
        routes = [route for route in routes if args.only in route.name]
    patients = ready_patient_emails(app, args.threads + 1)
    forms = free_slot_plan(app, None)
    measured_forms, forms = forms[:21], forms[21:]
    statements = {}
    for route in routes:
        form = dict(measured_forms[0], email=patients[-1]) if route.method == "POST" else None
        statements[route.name] = count_statements(app, route, form)
    lock_ms = write_lock_hold_ms(app, patients[-1:], measured_forms[1:])

    env = server_env(url, args.workers)
    logs = Path(tempfile.mkdtemp(prefix="intake-bench-logs-"))
    app_server = start_server(
        "wsgi:app", _path.PROJECT_ROOT, args.port, env, args.workers, logs / "app.log"
    )
    try:
        bare = start_server(
            "baseline_app:app", BENCH, args.port + 1, env, args.workers, logs / "bare.log"
        )
        try:
            sessions = {email: sign_in(app_server.base, email) for email in (DESK, therapist)}
            booking_sessions = [
                booking_session(app_server.base, email, forms[0])
                for email in patients[: args.threads]
            ]
            booking = BookingForms(forms, booking_sessions, url)
            results = []
            for route in routes:
                result = measure(route, app_server, bare, args, sessions, booking)
                result.statements = statements[route.name]
                results.append(result)
                print(f"{route.name}: ratio {result.ratio:.2f}", flush=True)
            memory = {"app": app_server.memory_mb(), "bare": bare.memory_mb()}
        finally:
            stop_group(bare.process)
    finally:
        stop_group(app_server.process)
    print_table(results, args, source.partition(":")[0].partition("+")[0], memory, lock_ms)


if __name__ == "__main__":
    main()
