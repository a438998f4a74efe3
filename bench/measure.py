"""Measuring tools: in-process request timings with SQL counts, and HTTP load on gunicorn."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import event

from intake.extensions import db


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the whole loop's, for a figure other processes do not skew

    def ms(self, q: float) -> float:
        """The q-quantile of wall time in milliseconds (0.5 median, 0.95 p95), nearest rank."""
        ordered = sorted(self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def start_request(self) -> None:
        self.statements.append(0)
        self.sql_seconds.append(0.0)


@contextmanager
def sql_listener(app, timings: Timings):
    """Counts the statements of the current request and their time (before/after_cursor_execute)."""
    if "sqlalchemy" not in app.extensions:  # the bare baseline has no database
        yield
        return
    with app.app_context():
        engine = db.engine
    started: list[float] = []

    def before(*_):
        started.append(time.perf_counter())

    def after(*_):
        timings.sql_seconds[-1] += time.perf_counter() - started.pop()
        timings.statements[-1] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def time_gets(app, path: str, count: int, warmup: int = 20, client=None) -> tuple[Timings, bytes]:
    """Server time of `count` GETs through a test client (a signed-in one may be given),
    after `warmup` untimed ones."""
    client, timings = client or app.test_client(), Timings()
    for _ in range(warmup):
        client.get(path)
    cpu = time.process_time()
    with sql_listener(app, timings):
        for _ in range(count):
            timings.start_request()
            started = time.perf_counter()
            response = client.get(path)
            timings.seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}")
    timings.cpu_seconds = time.process_time() - cpu
    return timings, response.data


@contextmanager
def gunicorn(target: str, port: int, workers: int, env: dict, chdir: Path):
    """gunicorn in a process group of its own, stopped (group and all) however we leave."""
    command = [Path(sys.executable).parent / "gunicorn", "-w", str(workers), "--chdir", chdir]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", target]
    # Our own interpreter's gunicorn with our own arguments.
    server = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {server.returncode}")
            try:
                requests.get(base + "/", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer within 30 seconds")
        yield base
    finally:
        stop_group(server)


def stop_group(server: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL if it is still there after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, None)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:  # the group is already gone (gunicorn gave up on its own)
            break
        try:
            server.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    server.wait()


def fire_posts(base: str, sessions: list[requests.Session], forms: list[dict]):
    """One thread per session, all released together, each posting its share of the forms.
    Returns requests per second, latencies and a Counter of status codes."""
    timings, statuses, lock = Timings(), Counter(), threading.Lock()
    gate = threading.Barrier(len(sessions) + 1)

    def worker(session: requests.Session, share: list[dict]) -> None:
        gate.wait()
        for form in share:
            url = f"{base}/book/{form['slug']}/confirm"
            started = time.perf_counter()
            answer = session.post(url, data=form, allow_redirects=False)
            with lock:
                timings.seconds.append(time.perf_counter() - started)
                statuses[answer.status_code] += 1

    threads = [
        threading.Thread(target=worker, args=(session, forms[n :: len(sessions)]))
        for n, session in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(forms) / (time.perf_counter() - started), timings, statuses
