"""Front desk: patients the clinic must call, one callback with its calls, log a call, close."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..forms import CallLogForm, CloseCallbackForm
from ..models import CallbackOutcome, CallOutcome, utcnow
from ..permissions import Role, guard_blueprint
from ..services import audit, callbacks
from ..services.errors import ActionRefused

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
    except ActionRefused as refused:
        flash(str(refused), "error")
        return _render(callback_id, 409)
    flash("Callback closed.", "success")
    return redirect(url_for("callbacks.show", callback_id=callback_id))
