"""A patient's own appointments: list, details, cancel and move."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..domain.ids import parse_id
from ..forms import CancelAppointmentForm, MoveAppointmentForm
from ..models import AppointmentStatus, utcnow
from ..permissions import Role, guard_blueprint
from ..services import aftercare, booking
from ..services.errors import BookingError, ChangedMeanwhile, SlotTaken
from ..services.free_times import SlotChoice
from .helpers import parse_start

bp = Blueprint("appointments", __name__, url_prefix="/account/appointments")
guard_blueprint(bp, Role.PATIENT)

OUT_OF_DATE = ChangedMeanwhile.PATIENT


@bp.get("")
def index():
    appointments = booking.patient_appointments(current_user.id)
    now = utcnow()
    return render_template(
        "appointments/index.html",
        upcoming=[a for a in appointments if a.starts_at >= now][::-1],
        past=[a for a in appointments if a.starts_at < now],
        decline_reasons=_decline_reasons(appointments),
    )


def _decline_reasons(appointments) -> dict[int, str]:
    declined = [a.id for a in appointments if a.status == AppointmentStatus.DECLINED]
    return booking.decline_reasons(declined)


@bp.get("/<int:appointment_id>")
def show(appointment_id: int):
    return _show(appointment_id)


def _show(appointment_id: int, status: int = 200, cancel_form=None):
    appointment = booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    revision = appointment.revision
    return render_template(
        "appointments/show.html",
        appointment=appointment,
        cancel_form=cancel_form or CancelAppointmentForm(formdata=None, revision=revision),
        just_requested=status == 200 and request.args.get("requested") == "1",
        check_in=aftercare.own_check_in(current_user.id, appointment_id),
        decline_reasons=_decline_reasons([appointment]),
    ), status


def _changed_meanwhile(appointment_id: int):
    """The patient's page was out of date: show the appointment as it stands, nothing done."""
    flash(OUT_OF_DATE, "error")
    return _show(appointment_id, 409)


@bp.post("/<int:appointment_id>/cancel")
def cancel(appointment_id: int):
    booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    form = CancelAppointmentForm()
    if not form.validate_on_submit():
        if form.revision.errors:  # missing or tampered: never act on a guess
            return _changed_meanwhile(appointment_id)
        return _show(appointment_id, 400, form)
    return _change(
        appointment_id,
        int(form.revision.data),
        "Your appointment is cancelled. We have emailed you a confirmation.",
        booking.cancel_by_patient,
        form.reason.data,
    )


@bp.post("/<int:appointment_id>/move")
def move(appointment_id: int):
    appointment = booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    form = MoveAppointmentForm()
    valid = form.validate_on_submit()
    if form.revision.errors:
        return _changed_meanwhile(appointment_id)
    start = parse_start(form.start.data) if valid else None
    location = _location_asked(appointment, form.location.data)
    if start is None or location is None:
        flash("Please choose one of the times shown.", "error")
        return redirect(url_for("appointments.show", appointment_id=appointment_id))
    choice = SlotChoice(appointment.provider, location, appointment.type)

    def offer_others(taken: SlotTaken):
        return render_template(
            "booking/taken.html",
            choice=choice,
            taken=taken,
            move=appointment_id,
            revision=form.revision.data,
        ), 409

    return _change(
        appointment_id,
        int(form.revision.data),
        "Your request has its new time. We will confirm it by email.",
        booking.move_by_patient,
        start,
        location.id,
        on_taken=offer_others,
    )


def _location_asked(appointment, value: str | None):
    """The slot's location: the appointment's own when none was sent, one of its provider's
    locations, or None for anything else."""
    if not value:
        return appointment.location
    wanted = parse_id(value)
    return next((loc for loc in appointment.provider.locations if loc.id == wanted), None)


def _change(appointment_id: int, revision: int, done: str, action, *args, on_taken=None):
    """Run the patient's change; a clash shows the appointment as it stands, and a time
    someone took meanwhile offers the next free ones when `on_taken` can show them."""
    try:
        action(
            current_user, appointment_id, revision, *args, settings=current_settings(), now=utcnow()
        )
    except LookupError:
        abort(404)
    except ChangedMeanwhile:
        return _changed_meanwhile(appointment_id)
    except BookingError as error:
        if isinstance(error, SlotTaken) and on_taken is not None:
            return on_taken(error)
        flash(str(error), "error")
    else:
        flash(done, "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))
