"""The app factory: layered configuration and the refusal of unsafe production settings."""

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import create_app
from intake.config import DEV_SECRET_KEY, UnsafeConfig, normalise_database_url


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in (
        "SECRET_KEY",
        "FLASK_SECRET_KEY",
        "DATABASE_URL",
        "FLASK_DEBUG",
        "FLASK_INTAKE_BASE_URL",
        "FLASK_TRUSTED_HOSTS",
        "RATELIMIT_STORAGE_URI",
        "FLASK_RATELIMIT_STORAGE_URI",
        "REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_testing_config_is_applied_last():
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "INTAKE_CLINIC_NAME": "Test Clinic"})
    assert app.testing
    assert app.config["INTAKE_CLINIC_NAME"] == "Test Clinic"


def test_default_database_is_sqlite_in_the_instance_folder():
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/intake.sqlite")


def test_production_refuses_the_development_secret_key():
    with pytest.raises(UnsafeConfig, match="Set SECRET_KEY"):
        create_app({"SECRET_KEY": DEV_SECRET_KEY, "TESTING": False, "DEBUG": False})


def test_production_starts_with_a_real_secret_key_and_base_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("FLASK_INTAKE_BASE_URL", "https://book.example.org")
    # TRUSTED_HOSTS unset, as in a fresh checkout (the demo's instance/config.py sets it).
    app = create_app({"TESTING": False, "DEBUG": False, "TRUSTED_HOSTS": None})
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert not app.testing
    # Requests naming another host are refused before any view runs.
    assert app.config["TRUSTED_HOSTS"] == ["book.example.org"]


@pytest.mark.parametrize(
    ("base_url", "complaint"),
    [
        ("", "INTAKE_BASE_URL is not set"),
        ("book.example.org", "not an http"),
        ("https://book.example.org/clinic?x=1", "scheme and host only"),
    ],
)
def test_production_refuses_a_missing_or_malformed_base_url(monkeypatch, base_url, complaint):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    with pytest.raises(UnsafeConfig, match=complaint):
        create_app({"TESTING": False, "DEBUG": False, "INTAKE_BASE_URL": base_url})


def test_a_request_for_another_host_is_refused_in_production(make_app):
    app = make_app(TESTING=False, DEBUG=False, INTAKE_BASE_URL="https://book.example.org")
    client = app.test_client()
    assert client.get("/healthz", base_url="https://book.example.org").status_code == 200
    refused = client.get("/healthz", base_url="https://clinic-login.attacker.example")
    assert refused.status_code == 400


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://clinic@db.internal/intake")
    monkeypatch.setenv("FLASK_INTAKE_CLINIC_NAME", "Clinic From Env")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://clinic@db.internal/intake"
    assert app.config["INTAKE_CLINIC_NAME"] == "Clinic From Env"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_are_routed_to_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


@pytest.mark.parametrize(
    ("environment", "storage"),
    [
        ({}, "memory://"),
        ({"RATELIMIT_STORAGE_URI": "redis://cache:6379/1"}, "redis://cache:6379/1"),
        ({"FLASK_RATELIMIT_STORAGE_URI": "redis://cache:6379/2"}, "redis://cache:6379/2"),
        ({"REDIS_URL": "rediss://cache:6380/0"}, "rediss://cache:6380/0"),
        (
            {"REDIS_URL": "redis://cache:6379/0", "RATELIMIT_STORAGE_URI": "redis://limits:6379"},
            "redis://limits:6379",
        ),
        (
            {"REDIS_URL": "redis://cache:6379/0", "FLASK_RATELIMIT_STORAGE_URI": "memcached://m"},
            "memcached://m",
        ),
    ],
)
def test_rate_limit_counters_go_where_the_environment_says(monkeypatch, environment, storage):
    # The README's plain RATELIMIT_STORAGE_URI, or a platform's REDIS_URL, reaches the limiter.
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False})
    assert app.config["RATELIMIT_STORAGE_URI"] == storage


def test_proxy_hops_from_the_environment(monkeypatch):
    monkeypatch.setenv("FLASK_INTAKE_PROXY_HOPS", "1")
    app = create_app({"TESTING": True})
    assert app.config["INTAKE_PROXY_HOPS"] == 1
    assert isinstance(app.wsgi_app, ProxyFix)
    assert app.wsgi_app.x_for == app.wsgi_app.x_proto == 1
    assert app.wsgi_app.x_host == 0  # links come from INTAKE_BASE_URL, never the proxy
    assert not isinstance(create_app({"TESTING": True, "INTAKE_PROXY_HOPS": 0}).wsgi_app, ProxyFix)


def test_responses_carry_a_strict_content_security_policy(client):
    response = client.get("/healthz")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
