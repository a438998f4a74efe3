"""Access logs keep no secrets: reset and feed tokens are redacted and query strings dropped."""

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from gunicorn.config import Config

from intake.access_log import RedactingLogger, redact_path, redact_url
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
RESET_TOKEN = "eyJ1c2VyIjo0Mn0.Zx9kQw.reset-secret-abc123"
FEED_TOKEN = "feed-secret-Xq3v9Lm2Pw8"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/account/reset-password/{RESET_TOKEN}", "/account/reset-password/[redacted]"),
        (f"/schedule/feed/{FEED_TOKEN}.ics", "/schedule/feed/[redacted]"),
        (f"//account//reset-password/{RESET_TOKEN}", "//account//reset-password/[redacted]"),
        (f"/Schedule/Feed/{FEED_TOKEN}.ics", "/Schedule/Feed/[redacted]"),
        (f"/waitlist/offers/{RESET_TOKEN}", "/waitlist/offers/[redacted]"),
        (f"/forms/{RESET_TOKEN}", "/forms/[redacted]"),
        ("/records?q=Maria+Lopez", "/records"),
        ("/staff/requests/12", "/staff/requests/12"),
        ("/schedule/feed-token", "/schedule/feed-token"),
    ],
)
def test_paths_lose_their_tokens_and_queries(path, logged):
    assert redact_path(path) == logged


def test_a_referer_keeps_its_host_and_loses_token_and_query():
    referer = f"https://book.example.org/account/reset-password/{RESET_TOKEN}?next=/x#top"
    assert redact_url(referer) == "https://book.example.org/account/reset-password/[redacted]"
    assert redact_url("-") == "-"


def test_every_route_taking_a_token_is_redacted(app):
    """A new route with a secret in its path must be added to the access log's list."""
    token_rules = [r for r in app.url_map.iter_rules() if "token" in r.arguments]
    assert token_rules, "the reset and feed routes take a token"
    with app.test_request_context():
        for rule in token_rules:
            path = app.url_for(rule.endpoint, token=RESET_TOKEN)
            assert RESET_TOKEN not in redact_path(path), rule.rule


def test_the_logger_offers_no_atom_that_repeats_the_url_or_a_cookie():
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/account/reset-password/{RESET_TOKEN}?email=maria@example.com",
        "PATH_INFO": f"/account/reset-password/{RESET_TOKEN}",
        "QUERY_STRING": "email=maria@example.com",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": f"https://book.example.org/schedule/feed/{FEED_TOKEN}.ics",
    }
    request = SimpleNamespace(headers=[("COOKIE", "session=abc"), ("REFERER", "x")])
    response = SimpleNamespace(status="200 OK", headers=[("Set-Cookie", "session=def")], sent=10)

    atoms = RedactingLogger(Config()).atoms(response, request, environ, timedelta(seconds=1))

    text = repr(atoms)
    for secret in (RESET_TOKEN, FEED_TOKEN, "maria@example.com", "session="):
        assert secret not in text
    assert atoms["r"] == "GET /account/reset-password/[redacted] HTTP/1.1"
    assert atoms["h"] == "203.0.113.7"


def test_a_request_that_fails_in_a_worker_is_logged_without_its_token():
    logger = RedactingLogger(Config())
    caught = []
    handler = logging.Handler()
    handler.emit = lambda record: caught.append(record.getMessage())
    logger.error_log.addHandler(handler)
    try:
        raise RuntimeError("the app failed")
    except RuntimeError:
        # What gunicorn's worker does when the application raises.
        logger.exception("Error handling request %s", f"/schedule/feed/{FEED_TOKEN}.ics?x=1")
    finally:
        logger.error_log.removeHandler(handler)
    assert caught == ["Error handling request /schedule/feed/[redacted]"]


@pytest.fixture
def gunicorn_server(database_url, tmp_path):
    """The production command with deploy/gunicorn.conf.py, on a free port, one worker."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "SECRET_KEY": "a-secret-key-for-the-access-log-test-0123456789",
        "DATABASE_URL": database_url,
        "FLASK_INTAKE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "deploy/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--access-logfile",
        str(access_log),
        "wsgi:app",
    ]
    server = subprocess.Popen(  # noqa: S603 - our own command line
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:  # the port opens before the worker has imported the app
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer /healthz")
        yield SimpleNamespace(base=base, log=access_log)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def test_gunicorn_with_our_config_logs_requests_without_secrets(gunicorn_server):
    base = gunicorn_server.base
    reset = requests.get(f"{base}/account/reset-password/{RESET_TOKEN}?next=/account", timeout=5)
    feed = requests.get(
        f"{base}/schedule/feed/{FEED_TOKEN}.ics",
        headers={"Referer": f"{base}/account/reset-password/{RESET_TOKEN}"},
        timeout=5,
    )
    search = requests.get(f"{base}/providers?zip=27701&name=Maria+Lopez", timeout=5)
    assert (reset.status_code, feed.status_code) == (400, 404)
    for _ in range(50):  # the worker writes the line after the response has gone
        lines = gunicorn_server.log.read_text().splitlines()
        if len(lines) >= 4:
            break
        time.sleep(0.1)

    log = gunicorn_server.log.read_text()
    assert '"GET /account/reset-password/[redacted] HTTP/1.1" 400' in log
    assert '"GET /schedule/feed/[redacted] HTTP/1.1" 404' in log
    assert f'"GET /providers HTTP/1.1" {search.status_code}' in log
    for secret in (RESET_TOKEN, FEED_TOKEN, "Maria", "zip=", "next="):
        assert secret not in log
