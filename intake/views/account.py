"""Accounts: register, sign in and out, change or reset a password, the patient's home."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError

from .. import sessions
from ..config import current_settings
from ..domain.accounts import InvalidEmail
from ..extensions import csrf, limiter, login_manager
from ..forms import (
    ChangePasswordForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
    ResetRequestForm,
    SignOutForm,
    StillHereForm,
)
from ..links import external_url
from ..models import utcnow
from ..permissions import STAFF_ROLES, Role
from ..services import accounts, audit, waitlist
from ..services.consents import consents_with_state
from ..services.intakes import current_intake, screening_of
from ..services.users import AccountError
from .helpers import consent_max_age, safe_next

bp = Blueprint("account", __name__, url_prefix="/account")
AUTH_LIMIT = "10 per minute"  # per address
# Per account as well, whatever address the guesses come from; only failures count, so a
# person signing in and out all day is never shut out by their own successes.
ACCOUNT_LIMIT = "10 per 15 minutes"
# Queuing a link for a known address writes a row and an unknown one writes nothing: both
# answers wait until this much time has passed, well beyond either, so timing tells nothing.
RESET_ANSWER_SECONDS = 0.2


def failed(response) -> bool:
    return response.status_code != 302


def account_tried() -> str:
    email = request.form.get("email", "")
    return "account:" + accounts.account_key(email, current_settings().secret_key)


def account_signed_in() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def home_for(user) -> str:
    """Where each role starts its day."""
    return {
        Role.ADMIN: url_for("admin.index"),
        Role.FRONT_DESK: url_for("staff.queue"),
        Role.THERAPIST: url_for("schedule.view"),
    }.get(user.role, url_for("account.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_patient(
                form.email.data, form.password.data, form.first_name.data, form.last_name.data
            )
        except (AccountError, InvalidEmail) as error:
            target = form[error.field]
            target.errors = [*target.errors, str(error)]
        else:
            login_user(user)
            flash("Welcome! Your account is ready. Next, tell us about your pain.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("intake.edit"))
    return render_template("account/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_LIMIT, methods=["POST"], key_func=account_tried, deduct_when=failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            staff = user.role in STAFF_ROLES
            # A lasting cookie would outlive the staff session limits, so staff never get one.
            login_user(user, remember=form.remember.data and not staff)
            sessions.start()
            audit.record(
                "login_succeeded",
                actor_id=user.id,
                object_type="user",
                object_id=user.id,
                commit=True,
            )
            return redirect(safe_next(request.args.get("next")) or home_for(user))
        audit.record(
            "login_failed",
            actor_id=accounts.user_id_for(form.email.data),
            object_type="user",
            commit=True,
        )
        form.password.errors = ["That email and password do not match an account."]
    return render_template("account/login.html", form=form)


@bp.post("/logout")
@csrf.exempt  # checked here, without the time limit of other forms: see SignOutForm
def logout():
    _require_session_token(SignOutForm())
    if current_user.is_authenticated:
        # Ends this session on the server too: a copy of the cookie replays as signed out.
        accounts.sign_out(current_user)
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("public.home"))


@bp.post("/still-here")
@csrf.exempt  # checked here, without the time limit of other forms: see StillHereForm
def still_here():
    """A staff page's "Stay signed in", or its script while someone types: the idle clock
    starts again. An ended session never gets here (sessions.end_stale_staff_sessions sends
    it to sign in). No content, so the button works without JavaScript too: the page stays."""
    _require_session_token(StillHereForm())  # first, as for every other form
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role in STAFF_ROLES:  # patients have no idle limit
        sessions.restart_idle_clock()
    return "", 204


def _require_session_token(form) -> None:
    """The check CSRFProtect skipped for a route exempt from the forms' time limit."""
    if not form.validate_on_submit():
        raise CSRFError("The CSRF token is missing or invalid.")


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
# Nobody fills one person's inbox with links by asking from many addresses.
@limiter.limit("5 per hour", methods=["POST"], key_func=account_tried)
def reset_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        started = time.monotonic()
        accounts.send_reset_link(
            form.email.data,
            lambda token: external_url("account.choose_password", token=token),
            current_settings(),
        )
        time.sleep(max(0.0, RESET_ANSWER_SECONDS - (time.monotonic() - started)))
        # The same answer whether or not the account exists.
        return render_template("account/reset_sent.html")
    return render_template("account/reset_request.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def choose_password(token: str):
    user = accounts.user_for_reset_token(token, current_settings())
    if user is None:
        return render_template("account/reset_invalid.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_new_password(user, form.password.data)
        except AccountError as error:
            form.password.errors = [str(error)]
        else:
            flash("Your password has been changed. Please sign in with it.", "success")
            return redirect(url_for("account.login"))
    return render_template("account/reset_choose.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_LIMIT, methods=["POST"], key_func=account_signed_in, deduct_when=failed)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.password.data)
        except AccountError as error:  # WrongPassword names the current password's field
            form[error.field].errors = [str(error)]
        else:
            # Every other session has ended; this one carries on under the new version.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            staff = user.role in STAFF_ROLES
            login_user(user, remember=remembered in request.cookies and not staff)
            flash("Your password is changed. Any other device is now signed out.", "success")
            return redirect(home_for(user))
    return render_template("account/password.html", form=form)


@bp.get("")
@login_required
def home():
    if current_user.role != Role.PATIENT:
        return redirect(home_for(current_user))  # staff see patients through their records
    intake = current_intake(current_user.id)
    return render_template(
        "account/home.html",
        intake=intake,
        screening=screening_of(intake) if intake else None,
        consents=consents_with_state(current_user.id, utcnow(), consent_max_age()),
        waitlist_entries=waitlist.patient_entries(current_user.id),
    )
