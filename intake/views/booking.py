"""Booking: choose a provider, then a place, type and free week, then send the request.
The free times come from services.free_times; the request is stored by services.booking."""

from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..database import locks_late
from ..domain.availability import WeeklyHours, group_by_day
from ..domain.ids import parse_id
from ..formatting import clinic_today
from ..forms import BookingRequestForm
from ..models import Appointment, utcnow
from ..permissions import Role, role_required
from ..services import booking, eligibility, free_times
from ..services.directory import nearby_taking_new_patients, provider_directory
from ..services.errors import BookingError, NotReady, NotTakingNewPatients, SlotTaken
from ..services.readiness import StepName, assess
from .helpers import parse_start, parse_week
from .public_data import public_providers, public_types

bp = Blueprint("booking", __name__, url_prefix="/book")
WEEK = timedelta(days=7)


def _movable(appointment_id: int | None) -> Appointment | None:
    """Only the patient's own appointment, still holding its time, may be moved (and so have
    its own time shown as free)."""
    if appointment_id is None or not current_user.is_authenticated:
        return None
    appointment = booking.patient_appointment(current_user.id, appointment_id)
    return appointment if appointment is not None and appointment.holds_time else None


@bp.get("")
def choose_provider():
    providers = public_providers().listed
    return render_template(
        "booking/providers.html", directory=provider_directory(providers, today=clinic_today())
    )


def _patient_id() -> int | None:
    return (
        current_user.id
        if current_user.is_authenticated and current_user.role == Role.PATIENT
        else None
    )


@bp.get("/<slug>")
def choose_slot(slug: str):
    # The directory's snapshot: the provider, places, hours and types without a query. What
    # the page offers is checked again from the database when the request is sent.
    provider = public_providers().by_slug.get(slug[:80]) or abort(404)
    settings, now = current_settings(), utcnow()
    moving = _movable(parse_id(request.args.get("move")))
    move = moving.id if moving else None
    # Moving one's own visit is not a new booking; anyone else needs to be seen before.
    if move is None and not eligibility.takes(provider, _patient_id()):
        return _not_taking(provider)
    every_type = public_types()
    types = eligibility.offered_types(provider, every_type, settings, now)
    type_id = request.args.get("type") or (str(types[0].id) if len(types) == 1 else None)
    if moving:  # a move keeps its kind of visit: another kind's times would not fit it
        types = [kind for kind in types if kind.id == moving.type_id]
        type_id = str(moving.type_id)
    location_id = request.args.get("location") or (
        str(provider.locations[0].id) if len(provider.locations) == 1 else None
    )
    context = dict(
        provider=provider,
        types=types,
        location_id=location_id,
        type_id=type_id,
        move=move,
        error=None,
        days={},
        some_types_withheld=not moving and len(types) < len(every_type),
    )
    if location_id and type_id:
        try:
            choice = free_times.resolve_choice(provider, location_id, type_id, every_type)
            eligibility.require_offered(provider, choice.type, settings, now)
        except BookingError as error:
            context["error"] = str(error)
        else:
            today = clinic_today()
            first = parse_week(request.args.get("week"), today, settings.booking_horizon_days)
            slots = free_times.slots_between(
                choice,
                first,
                first + WEEK - timedelta(days=1),
                now,
                free_times.rules_for(choice.type, settings),
                ignore=context["move"],
                hours=[
                    WeeklyHours(h.weekday, h.starts, h.ends)
                    for h in provider.working_hours
                    if h.location_id == choice.location.id
                ],
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
@locks_late  # the service locks for its last check and the writes only, not for these reads
@role_required(Role.PATIENT)
def confirm(slug: str):
    # The directory's snapshot, as on the slot page: renewed on any change to providers,
    # places, types or staff accounts, so no query. The service checks the time under the
    # lock, and the patient's readiness, from the database.
    provider = public_providers().by_slug.get(slug[:80]) or abort(404)
    # A slot link carries the choice in the query; the form posts it back in hidden fields.
    form = BookingRequestForm(
        formdata=None if request.method == "GET" else request.form, data=request.args.to_dict()
    )
    start = parse_start(form.start.data)
    try:
        choice = free_times.resolve_choice(
            provider, form.location.data, form.type.data, public_types()
        )
    except BookingError as error:
        return render_template("booking/problem.html", message=str(error), provider=provider), 400
    settings, now = current_settings(), utcnow()
    if request.method == "GET":  # a POST is checked once, by the service, before it locks
        try:
            booking.require_bookable(current_user, choice, settings=settings, now=now)
        except NotTakingNewPatients:
            return _not_taking(provider, status=403)
        except BookingError as error:
            return _problem(provider, choice, str(error))
        step, _ = assess(current_user, choice.type, now, settings.consent_max_age)
        if step is not None:
            return _to_missing_step(step)
    if start is None:
        return _problem(provider, choice, "Please choose one of the times shown.")
    if form.validate_on_submit():
        try:
            appointment = booking.request_appointment(
                current_user, choice, start, form.note.data or "", settings=settings, now=now
            )
        except SlotTaken as taken:
            return render_template("booking/taken.html", choice=choice, taken=taken), 409
        except NotTakingNewPatients:
            return _not_taking(provider, status=403)
        except NotReady as missing:
            return _to_missing_step(missing.step)
        except BookingError as error:
            return _problem(provider, choice, str(error))
        return redirect(url_for("appointments.show", appointment_id=appointment.id, requested=1))
    return render_template("booking/confirm.html", form=form, choice=choice, start=start)


# Where each missing step is done; a screening that rules out online booking has no page.
STEP_PAGES = {StepName.INTAKE: "intake.edit", StepName.CONSENT: "consent.sign"}


def _to_missing_step(step):
    """Send the patient to the step they still need, to come back to this slot; a screening
    that rules out online booking gets the page with the clinic's phone number."""
    if step.name not in STEP_PAGES:
        return render_template("booking/blocked.html", step=step), 403
    return redirect(url_for(STEP_PAGES[step.name], next=request.full_path))


def _not_taking(provider, status: int = 200):
    """The provider sees only patients seen before: say so, and who nearby takes new ones.
    The same words for everyone: whether this visitor was seen before is not shown."""
    providers = public_providers()
    public = providers.by_slug.get(provider.slug)
    suggestions = (
        nearby_taking_new_patients(public, providers.listed, clinic_today()) if public else []
    )
    return render_template(
        "booking/not_taking.html",
        provider=provider,
        message=eligibility.not_taking_message(provider.display_name),
        suggestions=suggestions,
    ), status


def _problem(provider, choice, message: str):
    return render_template(
        "booking/problem.html", message=message, provider=provider, choice=choice
    ), 400
