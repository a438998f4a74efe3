"""Front desk: patients the clinic must call, one callback with its calls, log a call, close,
and book a visit for the patient once the callback closed cleared to book."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..formatting import clinic_today
from ..forms import BookForPatientForm, BookForPatientSearchForm, CallLogForm, CloseCallbackForm
from ..forms import options as choices_of
from ..models import CallbackOutcome, CallOutcome, utcnow
from ..permissions import Role, guard_blueprint
from ..services import audit, callback_booking, callbacks
from ..services.eligibility import require_offered
from ..services.errors import ActionRefused, BookingError, SafetyRefused, SlotTaken
from ..services.free_times import SlotChoice, active_types
from .helpers import parse_start, parse_week

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


# --- booking for the patient, once cleared -------------------------------------------

BOOK_DAYS = 7
BOOK_HORIZON = timedelta(days=366)


@bp.get("/<int:callback_id>/book")
def book_page(callback_id: int):
    return _book_page(callback_id, request.args)


def _pick(items, wanted):
    by_id = {str(item.id): item for item in items}
    return by_id.get(str(wanted or "")) or next(iter(items), None)


def _book_page(callback_id: int, wanted, status: int = 200, refusal: str = "", **extra):
    """The choice of provider, place and type, and their free times by the staff rules, with
    the refusal of a booking tried, if any. A callback that is not closed cleared to book
    shows its own page with why."""
    if refusal:
        flash(refusal, "error")
    try:
        callback = callback_booking.bookable_callback(callback_id)
    except ActionRefused as refused:
        if str(refused) != refusal:
            flash(str(refused), "error")
        return _render(callback_id, status if status >= 400 else 409)
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
    today = clinic_today()
    providers, types = callback_booking.active_providers(), active_types()
    provider = _pick(providers, wanted.get("provider"))
    location = _pick(provider.locations, wanted.get("location")) if provider else None
    kind = _pick(types, wanted.get("type"))
    first = parse_week(wanted.get("week"), today, BOOK_HORIZON.days)
    form = _search_form(providers, types, (provider, location, kind), first)
    days, not_offered, failures = _times(callback, (provider, location, kind), first)
    context = {
        "callback": callback,
        "patient": callback.patient,
        "form": form,
        "provider": provider,
        "location": location,
        "kind": kind,
        "days": days,
        "first": first,
        "next_week": first + timedelta(days=BOOK_DAYS),
        "previous_week": first - timedelta(days=BOOK_DAYS) if first > today else None,
        "not_offered": not_offered,
        "failures": failures,
        "may_override": current_user.role == Role.ADMIN,
        "book_form": BookForPatientForm(formdata=None),
        "chosen": None,
        "next_free": [],
        **extra,
    }
    return render_template("callbacks/book.html", **context), status


def _search_form(providers, types, chosen, first) -> BookForPatientSearchForm:
    provider, location, kind = chosen
    form = BookForPatientSearchForm(formdata=None, week=first)
    form.provider.choices = choices_of((str(p.id), p.display_name) for p in providers)
    form.location.choices = choices_of(
        (str(loc.id), loc.name) for loc in (provider.locations if provider else ())
    )
    form.type.choices = choices_of((str(t.id), t.name) for t in types)
    form.provider.data = str(provider.id) if provider else None
    form.location.data = str(location.id) if location else None
    form.type.data = str(kind.id) if kind else None
    return form


def _times(callback, chosen, first):
    """The week's free times, why the type is not offered, and which safety checks fail."""
    provider, location, kind = chosen
    if not (provider and location and kind):
        return {}, "", ()
    settings, now = current_settings(), utcnow()
    failures = callback_booking.failures_for(callback, kind, settings=settings, now=now)
    try:
        require_offered(provider, kind, settings, now)
    except ActionRefused as refused:
        return {}, str(refused), failures
    choice = SlotChoice(provider, location, kind)
    days = callback_booking.free_times(choice, first, BOOK_DAYS, settings=settings, now=now)
    return days, "", failures


@bp.post("/<int:callback_id>/book")
def book(callback_id: int):
    form = BookForPatientForm()
    start = parse_start(form.start.data)
    wanted = {
        "provider": form.provider.data,
        "location": form.location.data,
        "type": form.type.data,
    }
    if not form.validate_on_submit() or start is None:
        refusal = "Please choose one of the times shown."
        return _book_page(callback_id, wanted, 400, refusal, book_form=form)
    booking = callback_booking.Booking(
        int(form.provider.data), int(form.location.data), int(form.type.data), start
    )
    try:
        appointment = callback_booking.book(
            callback_id,
            current_user,
            booking,
            form.override_reason.data or "",
            settings=current_settings(),
            now=utcnow(),
        )
    except LookupError:
        abort(404)
    except SafetyRefused as refused:
        return _book_page(callback_id, wanted, 409, str(refused), book_form=form, chosen=start)
    except SlotTaken as taken:
        return _book_page(callback_id, wanted, 409, str(taken), next_free=taken.next_free)
    except BookingError as refused:  # not cleared, outside hours, not their place, not offered
        return _book_page(callback_id, wanted, 409, str(refused))
    flash(
        "Booked and confirmed. The patient has been emailed with a calendar invitation.", "success"
    )
    return redirect(url_for("staff.request", appointment_id=appointment.id))
