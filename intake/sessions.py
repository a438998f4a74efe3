"""Sessions that can end: a per-user version in every cookie, and staff time limits."""

import time
from functools import cache

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import Select, bindparam, select

from .domain.ids import parse_id
from .extensions import db, login_manager
from .models import User
from .permissions import STAFF_ROLES

SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"
# The idle clock restarts at most this often: writing it on every request re-signed and sent
# the session cookie with every page (~3% of a staff page's CPU). An idle limit of minutes
# does not need a finer grain.
SEEN_AT_GRAIN_SECONDS = 30


def start(now: float | None = None) -> None:
    """Call right after login_user."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


def restart_idle_clock(now: float | None = None) -> None:
    """The staff member is still at work on this page (its "Stay signed in", or typing)."""
    session[SEEN_AT] = time.time() if now is None else now


def idle_limit_seconds(config=None) -> int:
    """How long a staff session may go without a request."""
    return int((config or current_app.config)["INTAKE_STAFF_IDLE_MINUTES"] * 60)


def idle_seconds_left(now: float | None = None) -> int:
    """Seconds until this staff session ends for lack of activity, for the page's warning."""
    now = time.time() if now is None else now
    return max(0, int(idle_limit_seconds() - (now - session.get(SEEN_AT, now))))


def expiry_reason(now: float, config) -> str | None:
    """Why this staff session has ended, or None while it is still good."""
    idle = idle_limit_seconds(config)
    longest = config["INTAKE_STAFF_MAX_HOURS"] * 3600
    if now - session.get(SIGNED_IN_AT, 0) > longest:
        return (
            f"For your patients' privacy, staff sessions end after "
            f"{config['INTAKE_STAFF_MAX_HOURS']} hours. Please sign in again."
        )
    if now - session.get(SEEN_AT, 0) > idle:
        return (
            f"You were signed out after {config['INTAKE_STAFF_IDLE_MINUTES']} minutes "
            "without activity. Please sign in again."
        )
    return None


def parse_session_id(user_id: str) -> tuple[int, int] | None:
    """(id, session version) from what get_id() wrote; None for anything else. The cookie is
    signed, but an id out of the column's range must still never reach the query."""
    number, _, version = user_id[:40].partition(":")
    user = parse_id(number)
    if user is None or not (version.isascii() and version.isdigit()):
        return None
    return user, int(version)


def load_user(user_id: str) -> User | None:
    """The signed-in user, unless the account was deactivated or its sessions were ended
    (sign-out, password change or reset, role change) after this cookie was issued."""
    parsed = parse_session_id(user_id)
    if parsed is None:
        return None
    user = db.session.scalars(_user_by_id(), {"user_id": parsed[0]}).first()
    if user is None or not user.active or user.session_version != parsed[1]:
        return None
    return user


@cache  # every signed-in request runs it: built once, not as session.get builds it each time
def _user_by_id() -> Select:
    return select(User).where(User.id == bindparam("user_id"))


def register(app: Flask) -> None:
    login_manager.user_loader(load_user)
    app.add_template_global(idle_limit_seconds)
    app.add_template_global(idle_seconds_left)
    # The lasting cookie is as good as a password: never sent over plain http in production.
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["INTAKE_HTTPS"]

    @app.before_request
    def end_stale_staff_sessions():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        if current_user.role not in STAFF_ROLES:
            return None
        now = time.time()
        reason = expiry_reason(now, app.config)
        if reason is None:
            if now - session.get(SEEN_AT, 0) >= SEEN_AT_GRAIN_SECONDS:
                restart_idle_clock(now)
            return None
        logout_user()
        session.clear()
        flash(reason, "warning")
        return redirect(
            url_for("account.login", next=request.full_path if request.method == "GET" else None)
        )
