"""Checks of a production configuration: each a plain function returning problems in words."""

import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from . import config as settings
from .mail import mail_dir

MIN_SECRET_LENGTH = 32  # secrets.token_hex(16); the README's command gives 64
TIMEOUT = 5  # seconds for each network check: a doctor that hangs helps nobody


@dataclass(frozen=True)
class Report:
    check: str
    problems: list[str]


def unchecked_config() -> Mapping:
    """The settings create_app would read, in the same layers, without refusing unsafe ones:
    the doctor must name every problem, not stop at the first as the app does."""
    app = Flask("intake", instance_relative_config=True)
    app.config.from_object(settings.Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.sqlite_default(app.instance_path)
    app.config.from_pyfile("config.py", silent=True)
    settings.load_environment(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    return app.config


def secret_key(config: Mapping) -> list[str]:
    key = config.get("SECRET_KEY") or ""
    if key == settings.DEV_SECRET_KEY:
        return ["SECRET_KEY is the development key; anyone can forge sessions with it."]
    if len(key) < MIN_SECRET_LENGTH:
        return [
            f"SECRET_KEY is {len(key)} characters; use at least {MIN_SECRET_LENGTH}, e.g. "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'."
        ]
    return []


def debug(config: Mapping) -> list[str]:
    if config.get("DEBUG"):
        return [
            "DEBUG is on (FLASK_DEBUG, or DEBUG in instance/config.py): the app skips its "
            "start-up safety checks. Never serve patients with it."
        ]
    return []


def base_url(config: Mapping) -> list[str]:
    problem = settings.base_url_problem(config.get("INTAKE_BASE_URL") or "")
    return [problem] if problem else []


def https(config: Mapping) -> list[str]:
    scheme = urlsplit(config.get("INTAKE_BASE_URL") or "").scheme
    if not config.get("INTAKE_HTTPS"):
        return [
            "INTAKE_HTTPS is false: cookies go without Secure, no HSTS, no redirect to https. "
            "Serve over TLS and set FLASK_INTAKE_HTTPS=true."
        ]
    if scheme == "http":
        return ["INTAKE_HTTPS is true but INTAKE_BASE_URL is http://: emailed links skip TLS."]
    return []


def proxy(config: Mapping) -> list[str]:
    hops = config.get("INTAKE_PROXY_HOPS") or 0
    if hops == 0 and urlsplit(config.get("INTAKE_BASE_URL") or "").scheme == "https":
        return [
            "INTAKE_PROXY_HOPS is 0: behind a proxy (Caddy, nginx, a load balancer) set "
            "INTAKE_PROXY_HOPS to the number of proxies (usually 1), or rate limits, audit rows "
            "and signed consents see the proxy's address instead of the patient's."
        ]
    return []


def database(config: Mapping, migrations_dir: str) -> list[str]:
    # Here, not at the top: commands.py imports this module in every app process, and
    # Alembic costs a web worker ~11 MB it would never use (see extensions.LazyMigrate).
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not os.path.exists(url.database or ""):
        return [f"the SQLite file of {shown} does not exist: run `flask --app intake db upgrade`."]
    if not os.path.isdir(os.path.join(migrations_dir, "versions")):
        return [f"no migrations in {migrations_dir}: run the doctor from the app's folder."]
    connect_args = {"connect_timeout": TIMEOUT} if url.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return [f"the database {shown} cannot be reached: {reason}"]
    finally:
        engine.dispose()
    heads = set(ScriptDirectory(migrations_dir).get_heads())
    if current != heads:
        where = ", ".join(sorted(current)) or "no revision"
        return [
            f"the database is at {where}, the code expects {', '.join(sorted(heads))}: "
            "run `flask --app intake db upgrade`."
        ]
    return []


def email(config: Mapping) -> list[str]:
    backend = config.get("MAIL_BACKEND", "smtp")
    if backend == "files":
        return [
            f"MAIL_BACKEND is 'files': emails are written to {mail_dir(config)} and never reach "
            "anyone. Set MAIL_BACKEND to 'smtp' and the MAIL_* settings."
        ]
    if backend != "smtp":
        return [f"MAIL_BACKEND {backend!r} is neither 'smtp' nor 'files'."]
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    timeout = min(config.get("MAIL_TIMEOUT") or TIMEOUT, TIMEOUT)
    try:
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except (OSError, smtplib.SMTPException) as error:
        return [f"the SMTP server {host}:{port} failed: {type(error).__name__}: {error}"]
    return []


def rate_limits(config: Mapping, workers: int) -> list[str]:
    if not config.get("RATELIMIT_ENABLED", True):
        return ["RATELIMIT_ENABLED is false: password guessing goes unchecked."]
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.startswith("memory://"):
        if workers > 1:
            return [
                f"{workers} workers each count rate limits in their own memory, so every limit "
                "is multiplied: set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0."
            ]
        return []
    return storage_problems(uri, config.get("RATELIMIT_STORAGE_OPTIONS") or {})


def storage_problems(uri: str, options: Mapping) -> list[str]:
    """Ask the limiter's own storage (the limits library) to PING, as the app would use it."""
    shown = _without_password(uri)
    if uri.split(":", 1)[0].startswith(("redis", "rediss", "valkey")):
        options = {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT, **options}
    try:
        storage = storage_from_string(uri, **options)
    except ConfigurationError as error:
        return [f"rate-limit storage {shown} cannot be used: {error}"]
    if not storage.check():
        return [f"rate-limit storage {shown} does not answer (PING failed)."]
    return []


def _without_password(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    return uri.replace(f":{parts.password}@", ":***@", 1)


def run_checks(config: Mapping, workers: int, migrations_dir: str) -> list[Report]:
    checks: list[tuple[str, Callable[[], list[str]]]] = [
        ("secret key", lambda: secret_key(config)),
        ("debug", lambda: debug(config)),
        ("base URL", lambda: base_url(config)),
        ("HTTPS", lambda: https(config)),
        ("proxy", lambda: proxy(config)),
        ("database", lambda: database(config, migrations_dir)),
        ("email", lambda: email(config)),
        ("rate limits", lambda: rate_limits(config, workers)),
    ]
    return [Report(name, check()) for name, check in checks]
