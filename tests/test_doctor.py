"""`flask doctor`: an operator checks a production configuration before serving patients."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from intake import doctor
from intake.config import DEV_SECRET_KEY
from intake.extensions import db
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379/0"
GOOD = {
    "SECRET_KEY": "7c1e9a0f4b2d8e6a3f5c9b1d7e2a4f6c8b0d2e4f6a8c0e2b4d6f8a0c2e4b6d8f",
    "INTAKE_BASE_URL": "https://book.example.org",
    "INTAKE_HTTPS": True,
    "INTAKE_PROXY_HOPS": 1,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": REDIS,
}


@pytest.fixture
def production(app, smtp_server, monkeypatch):
    """The test app set up as a clinic would run it: database at the newest migration, SMTP
    and Redis answering."""
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    app.config.update(GOOD)
    with app.app_context(), db.engine.begin() as connection:
        # The suite builds its schema with create_all; record it as migrated to head.
        MigrationContext.configure(connection).stamp(ScriptDirectory("migrations"), "heads")
    yield app
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def run_doctor(app, *args):
    result = app.test_cli_runner().invoke(args=["doctor", *args])
    problems = [line for line in result.output.splitlines() if line.startswith("PROBLEM")]
    return result, problems


def test_a_good_production_configuration_passes_every_check(production):
    result, problems = run_doctor(production)

    assert result.exit_code == 0, result.output
    assert problems == []
    for check in ("secret key", "base URL", "HTTPS", "proxy", "database", "email", "rate limits"):
        assert f"ok       {check}\n" in result.output
    assert result.output.endswith("No problems found.\n")


@pytest.mark.parametrize(
    ("settings", "check", "words"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "secret key", "the development key"),
        ({"SECRET_KEY": "short-key"}, "secret key", "9 characters; use at least 32"),
        ({"INTAKE_BASE_URL": ""}, "base URL", "INTAKE_BASE_URL is not set"),
        ({"INTAKE_BASE_URL": "https://x.org/clinic"}, "base URL", "scheme and host only"),
        ({"INTAKE_HTTPS": False}, "HTTPS", "set FLASK_INTAKE_HTTPS=true"),
        ({"INTAKE_BASE_URL": "http://book.example.org"}, "HTTPS", "INTAKE_BASE_URL is http://"),
        ({"INTAKE_PROXY_HOPS": 0}, "proxy", "behind a proxy"),
        ({"MAIL_PORT": free_port()}, "email", "ConnectionRefusedError"),
        ({"MAIL_USE_TLS": True}, "email", "STARTTLS"),
        ({"MAIL_BACKEND": "files"}, "email", "never reach anyone"),
        ({"RATELIMIT_ENABLED": False}, "rate limits", "password guessing goes unchecked"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "rate limits", "set RATELIMIT_STORAGE_URI"),
        (
            {"RATELIMIT_STORAGE_URI": f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"},
            "rate limits",
            "does not answer (PING failed)",
        ),
    ],
)
def test_each_bad_setting_is_named_in_words(production, settings, check, words):
    production.config.update(settings)

    result, problems = run_doctor(production)

    assert result.exit_code == 1
    assert len(problems) == 1, result.output
    assert problems[0].startswith(f"PROBLEM  {check}: ")
    assert words in problems[0]
    assert "hunter2" not in result.output  # passwords in URLs are never printed
    assert result.output.endswith("1 problem: fix before serving patients.\n")


def test_debug_mode_is_named(production, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # read by every flask command, the doctor too

    result, problems = run_doctor(production)

    assert result.exit_code == 1
    assert problems == [
        "PROBLEM  debug: DEBUG is on (FLASK_DEBUG, or DEBUG in instance/config.py): the app "
        "skips its start-up safety checks. Never serve patients with it."
    ]


def test_memory_rate_limits_are_fine_for_one_worker_only(production, monkeypatch):
    production.config.update(RATELIMIT_STORAGE_URI="memory://")

    assert run_doctor(production, "--workers", "1")[0].exit_code == 0
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    result, problems = run_doctor(production)
    assert result.exit_code == 1
    assert problems[0].startswith("PROBLEM  rate limits: 4 workers")


def test_a_database_behind_the_migrations_is_named(production):
    with production.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))

    result, problems = run_doctor(production)

    assert result.exit_code == 1
    assert problems == [
        f"PROBLEM  database: the database is at 0001, the code expects {head()}: "
        "run `flask --app intake db upgrade`."
    ]


def test_a_database_never_migrated_is_named(app):
    """The suite's own database was built without migrations: no revision at all."""
    result, _ = run_doctor(app)

    assert f"PROBLEM  database: the database is at no revision, the code expects {head()}" in (
        result.output
    )


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    config = {
        "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://clinic:pw-secret@127.0.0.1:{free_port()}/x"
    }
    [problem] = doctor.database(config, str(ROOT / "migrations"))
    assert problem.startswith("the database postgresql+psycopg://clinic:***@127.0.0.1:")
    assert "cannot be reached" in problem


def head() -> str:
    return ScriptDirectory(str(ROOT / "migrations")).get_current_head()


def test_the_command_names_every_problem_even_when_the_app_refuses_to_start(database_url):
    """The app stops at its first unsafe setting; the doctor, run as operators run it, goes on
    to list them all."""
    env = {
        **os.environ,
        "SECRET_KEY": DEV_SECRET_KEY,
        "FLASK_INTAKE_BASE_URL": "",
        "DATABASE_URL": database_url,
        "FLASK_MAIL_BACKEND": "files",
        "FLASK_DEBUG": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "intake", "doctor", "--workers", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1, result.stderr
    assert "Refusing to start" not in result.stdout + result.stderr
    assert "PROBLEM  secret key: SECRET_KEY is the development key" in result.stdout
    assert "PROBLEM  base URL: INTAKE_BASE_URL is not set" in result.stdout
    assert "PROBLEM  email: MAIL_BACKEND is 'files'" in result.stdout


def test_the_doctor_reads_settings_in_the_same_layers_as_the_app(monkeypatch):
    from intake import create_app

    monkeypatch.setenv("DATABASE_URL", "postgres://clinic@db.internal/intake")
    monkeypatch.setenv("SECRET_KEY", GOOD["SECRET_KEY"])
    monkeypatch.setenv("FLASK_MAIL_BACKEND", "files")
    monkeypatch.setenv("FLASK_INTAKE_BASE_URL", "https://book.example.org")
    app = create_app({"DEBUG": False})  # in the environment the CLI would give it

    unchecked = doctor.unchecked_config()

    for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "INTAKE_BASE_URL", "MAIL_BACKEND"):
        assert unchecked[key] == app.config[key], key
