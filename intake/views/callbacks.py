"""Front desk: patients the clinic must call, one callback with its calls, log a call, close,
and book a visit for the patient once the callback closed cleared to book."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..forms import CallLogForm, CloseCallbackForm
from ..models import CallbackOutcome, CallOutcome, utcnow
from ..permissions import Role, guard_blueprint
from ..services import audit, callbacks, staff_booking
from ..services.errors import ActionRefused
from . import book_for

bp = Blueprint("callbacks", __name__, url_prefix="/staff/callbacks")
guard_blueprint(bp, Role.FRONT_DESK)

MAX_PAGE = 100_000


def _clock() -> dict:
    settings = current_settings()
    return {
        "now": utcnow(),
        "zone": current_app.config["INTAKE_TIMEZONE"],
        "limit_hours": settings.urgent_callback_working_hours,
    }


@bp.get("")
def index():
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    # The list names patients and their findings: the look is on record, as every other.
    audit.record("viewed_callbacks", actor_id=current_user.id, object_type="callbacks", commit=True)
    clock = _clock()
    listing = callbacks.open_callbacks(page, **clock)
    return render_template("callbacks/index.html", page=listing, limit=clock["limit_hours"])


@bp.get("/<int:callback_id>", endpoint="show")
def show(callback_id: int):
    return _render(callback_id)


def _render(callback_id: int, status: int = 200, **forms):
    clock = _clock()
    view = callbacks.open_callback(callback_id, current_user, **clock)
    if view is None:
        abort(404)
    context = {
        "call_form": CallLogForm(formdata=None),
        "close_form": CloseCallbackForm(formdata=None),
        **forms,
    }
    return render_template(
        "callbacks/show.html", view=view, limit=clock["limit_hours"], **context
    ), status


@bp.post("/<int:callback_id>/call")
def log_call(callback_id: int):
    form = CallLogForm()
    if not form.validate_on_submit():
        return _render(callback_id, 400, call_form=form)
    try:
        callbacks.log_call(
            current_user,
            CallOutcome(form.outcome.data),
            form.advice.data or "",
            now=utcnow(),
            callback_id=callback_id,
        )
    except LookupError:
        abort(404)
    except ActionRefused as refused:
        flash(str(refused), "error")
        return _render(callback_id, 409)
    flash("Call logged.", "success")
    return redirect(url_for("callbacks.show", callback_id=callback_id))


@bp.post("/<int:callback_id>/close")
def close(callback_id: int):
    form = CloseCallbackForm()
    if not form.validate_on_submit():
        return _render(callback_id, 400, close_form=form)
    try:
        callbacks.close(
            callback_id,
            current_user,
            CallbackOutcome(form.outcome.data),
            form.note.data or "",
            now=utcnow(),
        )
    except LookupError:
        abort(404)
    except ActionRefused as refused:  # closed meanwhile, or urgent without a call yet
        flash(str(refused), "error")
        return _render(callback_id, 409, close_form=form)
    flash("Callback closed.", "success")
    return redirect(url_for("callbacks.show", callback_id=callback_id))


# --- booking for the patient, once cleared (the page is shared: book_for.py) -------------


@bp.get("/<int:callback_id>/book")
def book_page(callback_id: int):
    target = _book_target(callback_id)
    return (
        target if not isinstance(target, book_for.Target) else book_for.page(target, request.args)
    )


@bp.post("/<int:callback_id>/book")
def book(callback_id: int):
    target = _book_target(callback_id)
    if not isinstance(target, book_for.Target):
        return target
    return book_for.book(target)


def _book_target(callback_id: int):
    """The booking page's target, the look audited; or, for a callback that is not closed
    cleared to book, its own page with why (409)."""
    try:
        callback = staff_booking.bookable_callback(callback_id)
    except ActionRefused as refused:
        flash(str(refused), "error")
        return _render(callback_id, 409)
    if callback is None:
        abort(404)
    audit.record(
        "viewed_callback",
        actor_id=current_user.id,
        object_type="callback",
        object_id=callback.id,
        patient_id=callback.patient_id,
        commit=True,
    )
    return book_for.Target(
        patient=callback.patient,
        subject=staff_booking.Subject(callback.patient_id, callback.id),
        endpoint="callbacks.book_page",
        url_args={"callback_id": callback.id},
        back_url=url_for("callbacks.show", callback_id=callback.id),
        back_text="Back to the callback",
        intro="The callback was closed as cleared to book.",
    )
