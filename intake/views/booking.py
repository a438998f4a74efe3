"""Booking: choose a provider, place, type and free time, then send the request."""

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain.availability import group_by_day
from ..domain.ids import parse_id
from ..formatting import clinic_today
from ..forms import FIRST_DAY, LAST_DAY, BookingRequestForm
from ..models import utcnow
from ..permissions import Role, role_required
from ..services import booking, free_times
from ..services.directory import provider_directory
from ..services.readiness import booking_readiness

bp = Blueprint("booking", __name__, url_prefix="/book")
WEEK = timedelta(days=7)


def parse_start(value: str | None) -> datetime | None:
    """An ISO instant from a slot link; anything else (or a naive time) is no choice at all."""
    try:
        start = datetime.fromisoformat((value or "")[:40])
    except ValueError:
        return None
    # The ends of the calendar cannot be moved between time zones (year 1 at +05:00).
    if start.tzinfo is None or not FIRST_DAY <= start.date() <= LAST_DAY:
        return None
    return start


def parse_week(value: str | None, today: date, horizon_days: int) -> date:
    """The week asked for, kept between today and the booking horizon."""
    try:
        chosen = date.fromisoformat((value or "")[:10])
    except ValueError:
        chosen = today
    return min(max(chosen, today), today + timedelta(days=horizon_days))


def _movable(appointment_id: int | None) -> int | None:
    """Only the patient's own appointment, still holding its time, may be moved (and so have
    its own time shown as free)."""
    if appointment_id is None or not current_user.is_authenticated:
        return None
    appointment = booking.patient_appointment(current_user.id, appointment_id)
    return appointment_id if appointment is not None and appointment.holds_time else None


@bp.get("")
def choose_provider():
    return render_template("booking/providers.html", directory=provider_directory())


@bp.get("/<slug>")
def choose_slot(slug: str):
    provider = free_times.provider_by_slug(slug) or abort(404)
    types = free_times.active_types()
    location_id = request.args.get("location") or (
        str(provider.locations[0].id) if len(provider.locations) == 1 else None
    )
    type_id = request.args.get("type") or (str(types[0].id) if len(types) == 1 else None)
    context = dict(
        provider=provider,
        types=types,
        location_id=location_id,
        type_id=type_id,
        move=_movable(parse_id(request.args.get("move"))),
        error=None,
        days={},
    )
    if location_id and type_id:
        try:
            choice = free_times.resolve_choice(provider, location_id, type_id)
        except free_times.BookingError as error:
            context["error"] = str(error)
        else:
            today = clinic_today()
            first = parse_week(
                request.args.get("week"), today, current_app.config["INTAKE_BOOKING_HORIZON_DAYS"]
            )
            slots = free_times.slots_between(
                choice, first, first + WEEK - timedelta(days=1), utcnow(), ignore=context["move"]
            )
            context.update(
                choice=choice,
                first=first,
                last=first + WEEK - timedelta(days=1),
                previous=(first - WEEK) if first > today else None,
                next_week=first + WEEK,
                today=today,
                days=group_by_day(slots, choice.location.timezone),
            )
    return render_template("booking/slots.html", **context)


@bp.route("/<slug>/confirm", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def confirm(slug: str):
    provider = free_times.provider_by_slug(slug) or abort(404)
    # A slot link carries the choice in the query; the form posts it back in hidden fields.
    form = BookingRequestForm(
        formdata=None if request.method == "GET" else request.form, data=request.args.to_dict()
    )
    start = parse_start(form.start.data)
    try:
        choice = free_times.resolve_choice(provider, form.location.data, form.type.data)
    except free_times.BookingError as error:
        return render_template("booking/problem.html", message=str(error), provider=provider), 400
    step = booking_readiness(current_user, choice.type, utcnow())
    if step is not None:
        return _to_missing_step(step)
    if start is None:
        return _problem(provider, choice, "Please choose one of the times shown.")
    if form.validate_on_submit():
        try:
            appointment = booking.request_appointment(
                current_user, slug, choice.location.id, choice.type.id, start, form.note.data or ""
            )
        except free_times.SlotTaken as taken:
            return render_template("booking/taken.html", choice=choice, taken=taken), 409
        except booking.NotReady as missing:  # it changed between the check and the write
            return _to_missing_step(missing.step)
        except free_times.BookingError as error:
            return _problem(provider, choice, str(error))
        return redirect(url_for("appointments.show", appointment_id=appointment.id, requested=1))
    return render_template("booking/confirm.html", form=form, choice=choice, start=start)


def _to_missing_step(step):
    """Send the patient to the step they still need, to come back to this slot; a screening
    that rules out online booking gets the page with the clinic's phone number."""
    if step.endpoint is None:
        return render_template("booking/blocked.html", step=step), 403
    return redirect(url_for(step.endpoint, next=request.full_path))


def _problem(provider, choice, message: str):
    return render_template(
        "booking/problem.html", message=message, provider=provider, choice=choice
    ), 400
