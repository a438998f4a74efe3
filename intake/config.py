"""Configuration defaults, environment loading and the production safety check."""

import os
from dataclasses import replace
from functools import lru_cache
from typing import ClassVar
from urllib.parse import urlsplit

import orjson
from flask import Flask, current_app, has_request_context, request

from .links import patient_visit_url
from .settings import ClinicSettings

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside debug and testing


class Defaults:
    SECRET_KEY = DEV_SECRET_KEY
    # hide_parameters: a failed statement's message (logged with its traceback) would carry
    # the patient's values otherwise.
    # json_deserializer: orjson reads the JSON columns (screening snapshots, intake answers)
    # four times faster than the standard library; they are written as before.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {
        "pool_pre_ping": True,
        "hide_parameters": True,
        "json_deserializer": orjson.loads,
    }
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # a signature PNG is the largest thing we accept
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 4 * 3600

    # One process only; RATELIMIT_STORAGE_URI or REDIS_URL in the environment switch to Redis,
    # which several workers must share or each counts on its own.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # intake/headers.py decides which responses may be compressed (BREACH), not the extension.
    COMPRESS_REGISTER = False
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "Clinic <no-reply@example.org>"
    # "files" writes each email as an .eml file into INTAKE_MAIL_DIR (the demo's catcher).
    MAIL_BACKEND = "smtp"
    INTAKE_MAIL_DIR = ""  # empty: mail/ in the instance folder
    # Touched on any change to public data so that every worker renews its public pages.
    INTAKE_PUBLIC_DATA_STAMP = ""  # empty: public-data.stamp in the instance folder

    INTAKE_CONSENT_MAX_AGE_DAYS = 365
    INTAKE_ATTESTATION_VALID_DAYS = 730  # an admin's attestation of needling competence counts
    INTAKE_FRONT_DESK_EMAIL = "frontdesk@example.org"
    INTAKE_SLOT_GRID_MINUTES = 15
    INTAKE_BOOKING_NOTICE_HOURS = 24  # earliest a patient can book online
    INTAKE_BOOKING_HORIZON_DAYS = 60  # latest
    INTAKE_CANCEL_CUTOFF_HOURS = 24  # later than this, patients call the clinic
    INTAKE_REMINDER_HOURS = 24
    # Urgent requests and callbacks waiting longer than this many working hours stand out.
    INTAKE_URGENT_CALLBACK_WORKING_HOURS = 2
    # What a patient whose answers need a call is told about when it comes.
    INTAKE_CALLBACK_PROMISE = "within one working day"
    INTAKE_CHECK_IN_HOURS = 24  # after a needling visit is completed, how are you?
    INTAKE_CHECK_IN_LINK_DAYS = 7  # the check-in link works this long
    INTAKE_WAITLIST_OFFERS_AT_ONCE = 2  # waiting patients offered one freed time at once
    INTAKE_WAITLIST_OFFER_HOURS = 2  # an offer can be claimed this long
    INTAKE_FORMS_LINK_DAYS = 7  # a forms link works this long, and never past its visit's start
    INTAKE_STAFF_IDLE_MINUTES = 15
    INTAKE_STAFF_MAX_HOURS = 12
    INTAKE_PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays usable
    INTAKE_INVITATION_MAX_AGE = 72 * 3600  # seconds a new staff member's link stays usable
    INTAKE_CLINIC_NAME = "Triangle Dry Needling & Physical Therapy"
    INTAKE_CLINIC_PHONE = "+19195550100"
    INTAKE_CLINIC_EMAIL = "hello@example.org"
    INTAKE_TIMEZONE = "America/New_York"
    # Behind TLS in production: redirect to https, secure cookies and HSTS.
    INTAKE_HTTPS = False
    # Reverse proxies in front that append to X-Forwarded-For/-Proto (nginx or Caddy: 1).
    # 0 trusts neither header, so a client cannot spoof its address.
    INTAKE_PROXY_HOPS = 0
    # Where patients reach the site, e.g. https://book.example.org: the only source of the
    # links in emails and feeds. Required in production; debug and tests use the default.
    INTAKE_BASE_URL = ""
    DEV_BASE_URL = "http://localhost"


def sqlite_default(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "intake.sqlite")


def normalise_database_url(url: str) -> str:
    """Route every PostgreSQL URL to psycopg 3, as hosting platforms hand out bare ones."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load_environment(app: Flask) -> None:
    """FLASK_* variables, then the plain names deployments are used to."""
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    elif os.environ.get("REDIS_URL") and not os.environ.get("FLASK_RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]


class UnsafeConfig(SystemExit):
    """Raised at start-up so the process stops with one readable line."""


def refuse_unsafe(app: Flask) -> None:
    if app.debug or app.testing:
        if not app.config["INTAKE_BASE_URL"]:
            app.config["INTAKE_BASE_URL"] = Defaults.DEV_BASE_URL
        return
    if app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
        raise UnsafeConfig(
            "Refusing to start: SECRET_KEY is the development key. Set SECRET_KEY in the "
            "environment or in instance/config.py, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if problem := base_url_problem(app.config["INTAKE_BASE_URL"]):
        raise UnsafeConfig(f"Refusing to start: {problem}")
    trust_base_url_host(app)


def base_url_problem(base_url: str) -> str | None:
    """Why INTAKE_BASE_URL cannot be the root of the links we mail, or None."""
    if not base_url:
        return (
            "INTAKE_BASE_URL is not set. Set it to where patients reach the site "
            "(e.g. FLASK_INTAKE_BASE_URL=https://book.example.org) so emailed links never "
            "follow a request's Host header."
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"INTAKE_BASE_URL {base_url!r} is not an http(s) URL with a host."
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        return f"INTAKE_BASE_URL {base_url!r} must be scheme and host only (no path or query)."
    return None


def trust_base_url_host(app: Flask) -> None:
    """Answer only requests for our own host (Werkzeug refuses others with 400), unless
    TRUSTED_HOSTS was set explicitly."""
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["INTAKE_BASE_URL"]).hostname]


def proxy_hops(app: Flask) -> int:
    """INTAKE_PROXY_HOPS as a count, refused at start-up when it is not one."""
    hops = app.config["INTAKE_PROXY_HOPS"]
    if isinstance(hops, str) and hops.strip().isdigit():
        hops = int(hops)
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise UnsafeConfig(
            f"Refusing to start: INTAKE_PROXY_HOPS {hops!r} is not a number of proxies "
            "(0 when clients connect directly, 1 behind one nginx or Caddy)."
        )
    return hops


def current_settings() -> ClinicSettings:
    """For views and commands; services are handed the result. Kept for the values of the
    keys it is built from (and the request's script root, in its visit link), so a test (or
    an admin change later) that edits config is seen at once; building it cost 36 µs."""
    config = current_app.config
    values = tuple(config.get(key) for key in ClinicSettings.CONFIG_KEYS)
    root = request.script_root if has_request_context() else None
    try:
        return _settings_for(values, root)
    except TypeError:  # a value that cannot be a key (a list from the environment's JSON)
        return _settings_for.__wrapped__(values, root)


@lru_cache(maxsize=16)
def _settings_for(values: tuple, script_root: str | None) -> ClinicSettings:
    # script_root is only part of the key: patient_visit_url reads it from the request.
    settings = ClinicSettings.from_config(
        dict(zip(ClinicSettings.CONFIG_KEYS, values, strict=True))
    )
    return replace(settings, visit_url=patient_visit_url())
