"""The emailed forms link of a visit the desk booked: sign in (or choose a first password),
then the intake and the consent, then a page saying the forms for that visit are done."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from .. import sessions
from ..config import current_settings
from ..domain.confirmation import Form
from ..extensions import limiter
from ..forms import FirstPasswordForm
from ..models import utcnow
from ..services import forms_link, forms_pending
from ..services.forms_link import LinkProblem
from ..services.users import AccountError

bp = Blueprint("forms", __name__, url_prefix="/forms")
PROBLEM_STATUS = {LinkProblem.INVALID: 400, LinkProblem.EXPIRED: 410, LinkProblem.CLOSED: 410}


@bp.get("/<token>")
def open_link(token: str):
    settings, now = current_settings(), utcnow()
    opened = forms_link.open_link(token, settings=settings, now=now)
    if opened.problem is not None:
        return _problem(opened)
    appointment = opened.appointment
    if not current_user.is_authenticated:
        if appointment.patient.password_hash:
            return redirect(url_for("account.login", next=request.path))
        return redirect(url_for("forms.choose_password", token=token))
    if current_user.id != appointment.patient_id:
        return render_template("forms/not_yours.html"), 404
    done = forms_pending.progress(appointment, settings=settings, now=now)
    if Form.INTAKE in done.missing:
        return redirect(url_for("intake.edit", next=request.path))
    if Form.CONSENT in done.missing and not done.blocked:
        return redirect(url_for("consent.sign", next=request.path))
    return render_template("forms/done.html", appointment=appointment, progress=done)


@bp.route("/<token>/password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def choose_password(token: str):
    """Only for an account the desk created without a password, and nobody signed in."""
    opened = forms_link.open_link(token, settings=current_settings(), now=utcnow())
    if opened.problem is not None:
        return _problem(opened)
    patient = opened.appointment.patient
    if current_user.is_authenticated or patient.password_hash:
        return redirect(url_for("forms.open_link", token=token))
    form = FirstPasswordForm()
    if form.validate_on_submit():
        try:
            user = forms_link.set_first_password(patient.id, form.password.data)
        except AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            login_user(user)
            sessions.start()
            return redirect(url_for("forms.open_link", token=token))
    return render_template("forms/choose_password.html", form=form, patient=patient)


def _problem(opened: forms_link.Opened):
    page = render_template("forms/link_problem.html", problem=opened.problem, opened=opened)
    return page, PROBLEM_STATUS[opened.problem]
