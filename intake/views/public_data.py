"""The public directory cache wired into the app: one cache per app, fed by the session.

A commit that changed public data (services/public_cache.touches_public_data) replaces the
stamp file in the instance folder, so every worker rebuilds on its next request. The check
sits on the session rather than in each admin service: the therapist's hours page, the
commands and the demo seed change the same rows, and none of them can forget it."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app, has_app_context, request
from flask_login import current_user
from sqlalchemy import event

from ..extensions import db
from ..headers import renders_csrf_token
from ..services.public_cache import (
    PublicDataCache,
    PublicLocation,
    PublicProviders,
    PublicType,
    load_provider_names,
    load_public_locations,
    load_public_providers,
    load_public_types,
    touches_public_data,
)

T = TypeVar("T")
_CHANGED = "intake_public_data_changed"  # session.info: a flush in this transaction changed it
_EXTENSION = "intake_public_data"


def init_app(app: Flask) -> None:
    stamp = app.config["INTAKE_PUBLIC_DATA_STAMP"] or Path(app.instance_path) / "public-data.stamp"
    app.extensions[_EXTENSION] = PublicDataCache(Path(stamp))
    if not event.contains(db.session, "after_flush", _note_public_change):
        event.listen(db.session, "after_flush", _note_public_change)
        event.listen(db.session, "after_commit", _announce_public_change)


def public_locations() -> tuple[PublicLocation, ...]:
    """Every location by name (the footer's list): no query while warm."""
    return current_app.extensions[_EXTENSION].current("locations", load_public_locations)


def public_providers() -> PublicProviders:
    """The listed providers, their locations and hours: no query while warm."""
    valid_for = timedelta(days=current_app.config["INTAKE_ATTESTATION_VALID_DAYS"])
    return current_app.extensions[_EXTENSION].current(
        "providers", lambda: load_public_providers(valid_for)
    )


def provider_names() -> tuple[tuple[int, str], ...]:
    """(id, name) of every provider, for the staff filters: no query while warm."""
    return current_app.extensions[_EXTENSION].current("provider_names", load_provider_names)


def kept_rendered(name: str, render: Callable[[], T]) -> T:
    """Part of a staff page that depends only on this data (a filter's providers and
    locations), rendered once per worker and version like the pages below. Never anything
    about a patient, and never a form with a CSRF token."""
    return current_app.extensions[_EXTENSION].current(f"rendered:{name}", render)


def public_types() -> tuple[PublicType, ...]:
    """The appointment types patients may book: no query while warm."""
    return current_app.extensions[_EXTENSION].current("types", load_public_types)


def same_for_every_visitor(view):
    """A page whose anonymous version is the same for everyone until public data changes:
    rendered once per worker and version, then served as it was. Signed-in visitors, and
    anyone with a session (a flash message, a half-done form), get theirs rendered."""

    @wraps(view)
    def served(*args, **kwargs):
        if current_user.is_authenticated or current_app.config["SESSION_COOKIE_NAME"] in (
            request.cookies
        ):
            return view(*args, **kwargs)

        def render():
            page = view(*args, **kwargs)
            # Only a plain page, and never one holding a CSRF token (it is the visitor's own).
            return page, isinstance(page, str) and not renders_csrf_token()

        cache = current_app.extensions[_EXTENSION]
        return cache.page(f"{request.host}{request.full_path}", render)

    return served


def _note_public_change(session, _flush_context) -> None:
    # Never cleared on rollback: a needless rebuild is cheap, a missed one shows stale pages.
    if touches_public_data(session):
        session.info[_CHANGED] = True


def _announce_public_change(session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        cache = current_app.extensions.get(_EXTENSION)
        if cache is not None:
            cache.mark_changed()
