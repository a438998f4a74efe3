"""The day-after check-in: from the email's signed link, or from the patient's account."""

from contextlib import suppress

from flask import Blueprint, abort, redirect, render_template, request
from flask_login import current_user

from ..config import current_settings
from ..domain import aftercare as advice
from ..forms import CheckInForm
from ..links import external_url
from ..models import CheckIn, utcnow
from ..permissions import Role, role_required
from ..services import aftercare

bp = Blueprint("check_in", __name__)


@bp.route("/check-in/<token>", methods=["GET", "POST"])
def by_link(token: str):
    check_in = aftercare.check_in_for_token(token, current_settings())
    if check_in is None:
        return render_template("check_in/link_expired.html"), 404
    return _check_in_page(check_in)


@bp.route("/account/appointments/<int:appointment_id>/check-in", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def own(appointment_id: int):
    check_in = aftercare.own_check_in(current_user.id, appointment_id) or abort(404)
    return _check_in_page(check_in)


def _check_in_page(check_in: CheckIn):
    if check_in.answered_at is not None:
        return _answered(check_in)
    form = CheckInForm()
    if not form.validate_on_submit():
        return render_template("check_in/form.html", form=form, check_in=check_in, advice=advice)
    with suppress(aftercare.AlreadyAnswered):  # another tab was first: its answers stand
        aftercare.answer(
            check_in.id,
            form.answers(),
            settings=current_settings(),
            now=utcnow(),
            task_link=lambda callback_id: external_url("callbacks.show", callback_id=callback_id),
        )
    return redirect(request.path, 303)  # a reload shows, never resends


def _answered(check_in: CheckIn):
    return render_template("check_in/answered.html", check_in=check_in, advice=advice)
