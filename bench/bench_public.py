"""Public pages in-process, warm, for an anonymous visitor: CPU ms and SQL statements per
request beside a bare Flask template page, then what the ZIP index costs a fresh process."""

import argparse
import subprocess
import sys

import _path  # noqa: F401
import baseline_app
from bench_booking import app_for, small_database_url
from measure import time_gets
from sqlalchemy import select

from intake.extensions import db
from intake.models import Provider

# A fresh interpreter: how long the ZIP index takes to load and what it adds to the process.
ZIP_PROBE = """
import time, tracemalloc
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6
import intake.domain.geo as geo
before = rss_mb()
tracemalloc.start()
started = time.perf_counter()
geo.locate("27701"); geo.locate("Durham, NC")
seconds = time.perf_counter() - started
traced = tracemalloc.get_traced_memory()[0] / 1e6
print(f"{seconds:.3f} s, python heap {traced:.1f} MB, RSS +{rss_mb() - before:.1f} MB")
"""


def first_provider_slug(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Provider.slug).order_by(Provider.slug)).first()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a bench/generate.py database (default: a new one)")
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    app = app_for(small_database_url(args.database_url))
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
    probe = subprocess.run(  # noqa: S603 - our own interpreter and our own code
        [sys.executable, "-c", ZIP_PROBE], capture_output=True, text=True, check=True
    )
    print(f"ZIP index, first locate in a fresh process: {probe.stdout.strip()}")


if __name__ == "__main__":
    main()
