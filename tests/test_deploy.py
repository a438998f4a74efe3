"""deploy/ hangs together: the units start what exists, Caddy proxies to where gunicorn binds."""

import configparser
import re
import runpy
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / name)
    return parser["Service"]


@pytest.mark.parametrize("name", ["intake-web.service", "intake-outbox.service"])
def test_both_services_run_sandboxed_as_the_intake_user_and_restart(name):
    service = unit(name)
    assert service["User"] == "intake"
    assert service["EnvironmentFile"] == "/etc/intake/env"
    assert service["Restart"] == "always"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    # The one folder the app writes (SQLite, the mail folder) is the instance folder.
    assert service["ReadWritePaths"] == f"{service['WorkingDirectory']}/instance"


def test_the_web_unit_serves_with_our_gunicorn_settings():
    web, worker = unit("intake-web.service"), unit("intake-outbox.service")
    assert web["ExecStart"].endswith("/gunicorn -c deploy/gunicorn.conf.py wsgi:app")
    assert worker["ExecStart"].endswith("/flask --app intake outbox work --interval 30")


def test_caddy_proxies_to_the_address_gunicorn_binds(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    caddyfile = (DEPLOY / "Caddyfile").read_text()

    assert re.search(rf"reverse_proxy {re.escape(settings['bind'])}\n", caddyfile)
    assert settings["bind"].startswith("127.0.0.1:")  # never reachable around Caddy
    assert settings["workers"] == 2
    assert settings["logger_class"] == "intake.access_log.RedactingLogger"
    # Caddy writes an access log only when told to: it must not be (queries carry names).
    assert not re.search(r"^\s*log\b", caddyfile, flags=re.MULTILINE)
