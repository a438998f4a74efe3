"""Extension objects, created unbound and attached by the app factory."""

from collections.abc import Callable
from functools import cache

import click
from flask import Flask
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep migrations reviewable and identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LazyMigrate:
    """Flask-Migrate, imported when first used: it brings Alembic (~11 MB of a web worker's
    memory), which only the `flask db` commands, the doctor and the tests need."""

    def __init__(self, **options):
        self.options = options

    def init_app(self, app: Flask, db: SQLAlchemy) -> None:
        @cache
        def load() -> object:
            from flask_migrate import Migrate  # the point of this class, see above

            Migrate(app, db, **self.options)  # puts the real two in place of the stand-ins
            return app.extensions["migrate"]

        app.extensions["migrate"] = _MigrateConfigOnFirstUse(load)
        app.cli.add_command(_DbCommandsOnFirstUse(load))


class _MigrateConfigOnFirstUse:
    """Stands in for Flask-Migrate's app.extensions["migrate"] until someone reads it."""

    def __init__(self, load: Callable[[], object]):
        self._load = load

    def __getattr__(self, name: str):
        return getattr(self._load(), name)


class _DbCommandsOnFirstUse(click.Group):
    """Stands in for Flask-Migrate's `flask db` group: lists under the same name and hands
    every invocation (options, subcommands, --help) to the real group."""

    def __init__(self, load: Callable[[], object]):
        super().__init__("db", help="Perform database migrations.")
        self._load = load

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        self._load()
        from flask_migrate.cli import db as db_commands  # see LazyMigrate

        return db_commands.make_context(info_name, args, parent=parent, **extra)


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()  # applied by intake/headers.py, page by page
# Slows password guessing and mail-bombing; storage is RATELIMIT_STORAGE_URI (Redis in production).
# The address is the client's own once INTAKE_PROXY_HOPS lets ProxyFix read X-Forwarded-For.
limiter = Limiter(key_func=get_remote_address)

# Strict policy: our own scripts and styles only, nothing inline, nothing from elsewhere.
# Sent by intake/headers.py.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
