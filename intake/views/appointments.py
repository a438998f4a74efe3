"""A patient's own appointments: list, details, cancel and move."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..forms import CancelAppointmentForm, MoveAppointmentForm
from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services import booking
from ..services.errors import BookingError, ChangedMeanwhile, SlotTaken
from ..services.free_times import SlotChoice
from ..settings import current_settings
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
    )


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
    try:
        booking.cancel_by_patient(
            current_user,
            appointment_id,
            int(form.revision.data),
            form.reason.data,
            settings=current_settings(),
            now=utcnow(),
        )
    except LookupError:
        abort(404)
    except ChangedMeanwhile:
        return _changed_meanwhile(appointment_id)
    except BookingError as error:
        flash(str(error), "error")
    else:
        flash("Your appointment is cancelled. We have emailed you a confirmation.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))


@bp.post("/<int:appointment_id>/move")
def move(appointment_id: int):
    appointment = booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    form = MoveAppointmentForm()
    valid = form.validate_on_submit()
    if form.revision.errors:
        return _changed_meanwhile(appointment_id)
    start = parse_start(form.start.data) if valid else None
    if start is None:
        flash("Please choose one of the times shown.", "error")
        return redirect(url_for("appointments.show", appointment_id=appointment_id))
    choice = SlotChoice(appointment.provider, appointment.location, appointment.type)
    try:
        booking.move_by_patient(
            current_user,
            appointment_id,
            int(form.revision.data),
            start,
            settings=current_settings(),
            now=utcnow(),
        )
    except LookupError:
        abort(404)
    except ChangedMeanwhile:
        return _changed_meanwhile(appointment_id)
    except SlotTaken as taken:
        return render_template(
            "booking/taken.html",
            choice=choice,
            taken=taken,
            move=appointment_id,
            revision=form.revision.data,
        ), 409
    except BookingError as error:
        flash(str(error), "error")
    else:
        flash("Your request has its new time. We will confirm it by email.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))
