"""Public pages in-process, warm, for an anonymous visitor: CPU ms and SQL statements per
request beside a bare Flask template page, then what the ZIP index costs a fresh process."""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import _path
import baseline_app
import requests
from bench_booking import SERVER_ENV, app_for, small_database_url
from measure import stop_group, time_gets
from sqlalchemy import select

from intake.extensions import db
from intake.models import Provider

# A fresh interpreter: how long the first ZIP and city searches take (the index loading) and
# what they add to the process: RSS without tracemalloc, then the Python heap with it.
ZIP_PROBE = """
import sys, time, tracemalloc
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6
import intake.domain.geo as geo
before = rss_mb()
if sys.argv[1] == "heap":
    tracemalloc.start()
started = time.perf_counter()
geo.locate("27701"); geo.locate("Durham, NC")
seconds = time.perf_counter() - started
if sys.argv[1] == "heap":
    print(f"python heap {tracemalloc.get_traced_memory()[0] / 1e6:.1f} MB")
else:
    print(f"{seconds:.2f} s, RSS +{rss_mb() - before:.1f} MB")
"""


def first_provider_slug(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Provider.slug).order_by(Provider.slug)).first()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a bench/generate.py database (default: a new one)")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--port", type=int, default=8741, help="for the gunicorn RSS figures")
    args = parser.parse_args()
    args.database_url = small_database_url(args.database_url)
    app = app_for(args.database_url)
    slug = first_provider_slug(app)
    bare = baseline_app.create_app()
    pages = [
        (bare, "/book/bare?slots=40", "bare Flask template page"),
        (app, "/", "home"),
        (app, "/dry-needling", "dry needling"),
        (app, "/providers?near=27701", "directory near 27701"),
        (app, "/providers?near=Durham,%20NC", "directory near Durham, NC"),
        (app, f"/providers/{slug}", "profile"),
    ]
    bare_cpu = None
    print(f"{'page':<28}{'CPU ms':>8}{'median ms':>11}{'SQL':>6}{'vs bare':>9}")
    for target, path, label in pages:
        timings, _ = time_gets(target, path, args.count)
        cpu_ms = 1000 * timings.cpu_seconds / args.count
        bare_cpu = bare_cpu or cpu_ms
        statements = sum(timings.statements) / args.count if timings.statements else 0
        print(
            f"{label:<28}{cpu_ms:>8.2f}{timings.ms(0.5):>11.2f}{statements:>6.1f}"
            f"{bare_cpu / cpu_ms:>8.2f}x"
        )
    found = [zip_probe(kind) for kind in ("rss", "heap")]
    print(f"ZIP index, first searches in a fresh process: {', '.join(found)}")
    env = SERVER_ENV | {"DATABASE_URL": args.database_url}
    root = Path(_path.PROJECT_ROOT)
    paths = ["/", "/dry-needling", "/providers?near=27701", "/providers?near=Durham,%20NC"]
    app_rss = worker_rss(
        "intake:create_app()", root, env, args.port, [*paths, f"/providers/{slug}"]
    )
    bare_rss = worker_rss("baseline_app:app", root / "bench", env, args.port, ["/book/bare"])
    print(
        f"RSS per gunicorn worker after the pages: app {app_rss:.1f} MB, bare Flask "
        f"{bare_rss:.1f} MB ({app_rss / bare_rss:.2f}x)"
    )


def worker_rss(target: str, chdir: Path, env: dict, port: int, paths: list[str]) -> float:
    """The mean RSS of two sync workers that have each served every path a few times."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [gunicorn, "-w", "2", "--chdir", chdir, "-b", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", target]
    server = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + paths[0], timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.1)
        for _ in range(20):
            for path in paths:
                requests.get(base + path, timeout=10).raise_for_status()
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        return sum(rss_mb(int(pid)) for pid in children) / len(children)
    finally:
        stop_group(server)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no RSS for {pid}")


def zip_probe(kind: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and our own code
        [sys.executable, "-c", ZIP_PROBE, kind], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


if __name__ == "__main__":
    main()
