"""POST /account/reset-password for a known and an unknown address, interleaved, in-process:
the medians should be within a few milliseconds, since neither sends mail in the request."""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import _path  # noqa: F401 - puts the project on sys.path

from intake import create_app
from intake.extensions import db
from intake.models import OutboxMessage, User
from intake.passwords import hash_password

KNOWN, UNKNOWN = "known.patient@example.com", "nobody.here@example.com"


def build(database_url: str):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.add(
            User(
                email=KNOWN,
                password_hash=hash_password("bench-password-1"),
                role="patient",
                first_name="Known",
                last_name="Patient",
            )
        )
        db.session.commit()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a fresh SQLite file (tables dropped!)")
    parser.add_argument("--requests", type=int, default=20, help="per address")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        app = build(url)
        client = app.test_client()
        timings: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
        bodies = set()
        for n in range(args.requests + 2):
            for email in (KNOWN, UNKNOWN) if n % 2 else (UNKNOWN, KNOWN):
                started = time.perf_counter()
                answer = client.post("/account/reset-password", data={"email": email})
                elapsed = time.perf_counter() - started
                assert answer.status_code == 200
                bodies.add(answer.get_data())
                if n >= 2:  # the first rounds warm caches and the connection pool
                    timings[email].append(elapsed * 1000)
        with app.app_context():
            queued = db.session.query(OutboxMessage).count()
            db.session.close()
            db.drop_all()
            db.engine.dispose()
    print(f"database: {url.split(':', 1)[0]}, {args.requests} requests per address")
    for email, label in ((KNOWN, "known  "), (UNKNOWN, "unknown")):
        ms = sorted(timings[email])
        quartiles = statistics.quantiles(ms, n=4)
        print(
            f"{label} median {statistics.median(ms):6.2f} ms  "
            f"(quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f}, max {ms[-1]:.2f})"
        )
    print(f"distinct response bodies: {len(bodies)}; outbox rows queued: {queued}")


if __name__ == "__main__":
    main()
