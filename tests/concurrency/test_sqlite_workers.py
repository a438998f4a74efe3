"""SQLite shared by four gunicorn workers: sign-ins, right and wrong, and audited record views
all at once. Every one of them writes an audit row after reading; none may answer 500."""

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from intake import create_app
from intake.extensions import db
from intake.models import AuditEvent, User
from intake.permissions import Role
from tests.conftest import _PASSWORD_HASH, PASSWORD, settings_for

WORKERS = 4
EACH = 16  # wrong passwords, right passwords, record views
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sqlite_file(tmp_path):
    """A SQLite database of its own (whatever the suite runs on), with a patient and a desk."""
    path = tmp_path / "workers.sqlite"
    app = create_app(settings_for(f"sqlite:///{path}"))
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"  # this test is about SQLite, always
        db.create_all()
        people = {
            role: User(
                email=f"{role}@example.com",
                password_hash=_PASSWORD_HASH,
                role=role,
                first_name="Test",
                last_name=role.title(),
            )
            for role in (Role.PATIENT, Role.FRONT_DESK)
        }
        db.session.add_all(people.values())
        db.session.commit()
        ids = {role: user.id for role, user in people.items()}
        db.engine.dispose()
    return path, ids


@pytest.fixture
def gunicorn(sqlite_file):
    path, _ = sqlite_file
    port = free_port()
    env = {**os.environ, "INTAKE_TEST_SQLITE_FILE": str(path)}
    process = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",  # 48 requests queue on 4 sync workers and 2 cores: slow is not broken
            "--log-level",
            "warning",
            "tests.concurrency.gunicorn_app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
        # Only the workers' own chatter, checked for leaks by the caller if it wants to.
        process.stderr_text = errors


def _wait_until_up(url: str, process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within a minute")


def test_sign_ins_and_audited_views_under_four_workers_never_answer_500(sqlite_file, gunicorn):
    path, ids = sqlite_file
    desk = requests.Session()
    signed = desk.post(
        f"{gunicorn}/account/login",
        data={"email": "front_desk@example.com", "password": PASSWORD},
        allow_redirects=False,
    )
    assert signed.status_code == 302
    record = f"{gunicorn}/records/patients/{ids[Role.PATIENT]}"
    barrier = threading.Barrier(3 * EACH)

    def sign_in(password: str) -> int:
        barrier.wait()
        return requests.post(
            f"{gunicorn}/account/login",
            data={"email": "patient@example.com", "password": password},
            allow_redirects=False,
            timeout=120,
        ).status_code

    def view_record() -> int:
        looker = requests.Session()
        looker.cookies.update(desk.cookies)
        barrier.wait()
        return looker.get(record, allow_redirects=False, timeout=120).status_code

    calls = (
        [lambda: sign_in("not the password")] * EACH
        + [lambda: sign_in(PASSWORD)] * EACH
        + [view_record] * EACH
    )
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        codes = [f.result() for f in [pool.submit(call) for call in calls]]

    wrong, right, views = codes[:EACH], codes[EACH : 2 * EACH], codes[2 * EACH :]
    assert wrong == [200] * EACH, wrong  # the form again, with its message
    assert right == [302] * EACH, right
    assert views == [200] * EACH, views
    app = create_app(settings_for(f"sqlite:///{path}"))
    with app.app_context():
        rows = dict(
            db.session.execute(
                select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
            ).all()
        )
        db.engine.dispose()
    assert rows["login_failed"] == EACH
    assert rows["login_succeeded"] == EACH + 1  # and the desk's own sign-in
    assert rows["viewed_patient"] == EACH
