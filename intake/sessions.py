"""Staff sessions end after a spell of inactivity and after a working day at most."""

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from .permissions import STAFF_ROLES

SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"


def start(now: float | None = None) -> None:
    """Call right after login_user."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


def expiry_reason(now: float, config) -> str | None:
    """Why this staff session has ended, or None while it is still good."""
    idle = config["INTAKE_STAFF_IDLE_MINUTES"] * 60
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


def register(app: Flask) -> None:
    @app.before_request
    def end_stale_staff_sessions():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        if current_user.role not in STAFF_ROLES:
            return None
        now = time.time()
        reason = expiry_reason(now, app.config)
        if reason is None:
            session[SEEN_AT] = now
            return None
        logout_user()
        session.clear()
        flash(reason, "warning")
        return redirect(
            url_for("account.login", next=request.full_path if request.method == "GET" else None)
        )
