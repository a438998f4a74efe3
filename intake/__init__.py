"""Dry-needling clinic intake and booking: the application factory."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, database, headers
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config.Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.sqlite_default(app.instance_path)
    app.config.from_pyfile("config.py", silent=True)
    config.load_environment(app)
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    config.refuse_unsafe(app)
    os.makedirs(app.instance_path, exist_ok=True)

    register_proxy(app)
    # Before the other hooks: it runs first, and the blueprints' <int:...> use its converter.
    register_request_guard(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_sessions(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind INTAKE_PROXY_HOPS proxies, the client's address and scheme are theirs to tell.
    X-Forwarded-Host stays ignored: our links come from INTAKE_BASE_URL alone."""
    if hops := config.proxy_hops(app):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0)


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401 - the models must be known before migrations look

    headers.init_app(app)  # first, see headers.init_app
    db.init_app(app)
    database.register_read_endings(app, db.session)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = "Please sign in to continue."


def register_request_guard(app: Flask) -> None:
    from . import db_privacy, requests_guard

    requests_guard.register(app)
    db_privacy.register()


def register_blueprints(app: Flask) -> None:
    from .views import (
        account,
        admin,
        appointments,
        booking,
        calendar,
        callbacks,
        check_in,
        consent,
        feed,
        forms_link,
        forms_pending,
        health,
        icons,
        patients,
        providers,
        public,
        questionnaire,
        records,
        schedule,
        section_roots,
        staff,
        staff_waitlist,
        waitlist,
    )

    for module in (
        public,
        icons,
        providers,
        health,
        account,
        questionnaire,
        consent,
        booking,
        appointments,
        check_in,
        forms_link,
        staff,
        forms_pending,
        calendar,
        callbacks,
        patients,
        staff_waitlist,
        waitlist,
        records,
        schedule,
        feed,
        admin,
    ):
        app.register_blueprint(module.bp)
    section_roots.register(app)  # after the loop: it reads every blueprint's prefix


def register_sessions(app: Flask) -> None:
    from . import sessions

    sessions.register(app)


def register_errorhandlers(app: Flask) -> None:
    from .views import errors

    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    from .views import helpers

    helpers.register(app)


def register_commands(app: Flask) -> None:
    from . import commands

    commands.register(app)
