"""A web worker imports only what serving needs; the rest still works when first used."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake.extensions import db
from tests.conftest import settings_for

ROOT = Path(__file__).resolve().parents[1]
# Each costs a worker megabytes, and serving the home page or a search never needs it.
LOADED_ON_FIRST_USE = ["alembic", "flask_migrate", "icalendar", "markdown", "nh3", "zipcodes"]

WORKER = """
import json, sys
from intake import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
statuses = [client.get(url).status_code for url in ("/", "/providers?near=27701")]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""


def test_serving_pages_loads_none_of_the_occasional_libraries(database_url):
    settings = json.dumps(settings_for(database_url))
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WORKER, settings],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    worker = json.loads(result.stdout)
    assert worker["statuses"] == [200, 200]
    loaded = {name.split(".")[0] for name in worker["modules"]}
    assert [name for name in LOADED_ON_FIRST_USE if name in loaded] == []


def test_flask_db_runs_through_the_stand_in(database_url):
    """The real command line: Alembic prints to the stdout it found when first imported, which
    CliRunner cannot capture once another test has imported it."""
    flask = [sys.executable, "-m", "flask", "--app", "intake", "db"]
    env = {**os.environ, "FLASK_TESTING": "true", "DATABASE_URL": database_url}
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    heads = subprocess.run([*flask, "heads"], **run, check=True)  # noqa: S603 - our own
    assert "(head)" in heads.stdout
    usage = subprocess.run([*flask, "--help"], **run, check=True)  # noqa: S603 - our own
    assert "upgrade" in usage.stdout


@pytest.mark.parametrize("attribute", ["directory", "db"])
def test_the_migrate_extension_answers_like_flask_migrates(app, attribute):
    expected = {"directory": "migrations", "db": db}[attribute]
    assert getattr(app.extensions["migrate"], attribute) == expected
