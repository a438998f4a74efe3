"""Dry-needling clinic intake and booking: the application factory."""

import os

from flask import Flask

from . import config
from .extensions import (
    CONTENT_SECURITY_POLICY,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    talisman,
)


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

    # First: its hook runs before all others, and the blueprints' <int:...> use its converter.
    register_request_guard(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_sessions(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # the models must be known before migrations look

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = "Please sign in to continue."
    https = app.config["INTAKE_HTTPS"]
    talisman.init_app(
        app,
        force_https=https,
        strict_transport_security=https,
        session_cookie_secure=https,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
    )

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(models.User, int(user_id)) if user_id.isdigit() else None
        # A deactivated account loses its open sessions at the next request.
        return user if user is not None and user.active else None


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
        consent,
        feed,
        health,
        providers,
        public,
        questionnaire,
        records,
        schedule,
        staff,
    )

    for module in (
        public,
        providers,
        health,
        account,
        questionnaire,
        consent,
        booking,
        appointments,
        staff,
        records,
        schedule,
        feed,
        admin,
    ):
        app.register_blueprint(module.bp)


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
