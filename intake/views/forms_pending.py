"""Forms pending, for the front desk: tomorrow's visits still waiting for an intake or
consent, and on a visit, "Resend forms link" and "Completing on paper at arrival"."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..formatting import clinic_today
from ..forms import FormsPendingDayForm, PostForm
from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services import forms_pending
from ..services.errors import ActionRefused
from .helpers import safe_next

bp = Blueprint("forms_pending", __name__, url_prefix="/staff")
guard_blueprint(bp, Role.FRONT_DESK)


@bp.get("/forms-pending", endpoint="index")
def index():
    form = FormsPendingDayForm(formdata=request.args)
    form.validate()  # a day that does not read is shown with its error; tomorrow instead
    day = form.date.data if form.date.data and not form.date.errors else None
    day = day or clinic_today() + timedelta(days=1)
    if not form.date.errors:
        form.date.data = day
    rows = forms_pending.pending_on(day, current_user, settings=current_settings(), now=utcnow())
    return render_template(
        "staff/forms_pending.html",
        form=form,
        day=day,
        rows=rows,
        words=forms_pending.FORM_WORDS,
        action_form=PostForm(formdata=None),
    )


@bp.post("/requests/<int:appointment_id>/forms-link")
def resend(appointment_id: int):
    return _act(
        appointment_id, forms_pending.resend, "A new forms link has been emailed to the patient."
    )


@bp.post("/requests/<int:appointment_id>/forms-on-paper")
def on_paper(appointment_id: int):
    return _act(
        appointment_id,
        forms_pending.mark_on_paper,
        "Marked: the patient completes the forms on paper at arrival.",
    )


def _act(appointment_id: int, action, done: str):
    back = safe_next(request.args.get("next")) or url_for(
        "staff.request", appointment_id=appointment_id
    )
    if not PostForm().validate_on_submit():
        flash("This page was out of date. Please try again.", "error")
        return redirect(back)
    try:
        action(appointment_id, current_user, settings=current_settings(), now=utcnow())
    except LookupError:
        abort(404)
    except ActionRefused as refused:
        flash(str(refused), "error")
        return redirect(back)
    flash(done, "success")
    return redirect(back)
