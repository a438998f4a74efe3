"""A patient's own appointments: list, details, cancel and move."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..forms import CancelAppointmentForm, MoveAppointmentForm
from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services import booking, free_times
from .booking import parse_start

bp = Blueprint("appointments", __name__, url_prefix="/account/appointments")
guard_blueprint(bp, Role.PATIENT)


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
    appointment = booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    return render_template(
        "appointments/show.html",
        appointment=appointment,
        cancel_form=CancelAppointmentForm(),
        just_requested=request.args.get("requested") == "1",
    )


@bp.post("/<int:appointment_id>/cancel")
def cancel(appointment_id: int):
    appointment = booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    form = CancelAppointmentForm()
    if not form.validate_on_submit():
        return render_template(
            "appointments/show.html",
            appointment=appointment,
            cancel_form=form,
            just_requested=False,
        ), 400
    try:
        booking.cancel_by_patient(current_user, appointment_id, form.reason.data)
    except free_times.BookingError as error:
        flash(str(error), "error")
    else:
        flash("Your appointment is cancelled. We have emailed you a confirmation.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))


@bp.post("/<int:appointment_id>/move")
def move(appointment_id: int):
    appointment = booking.patient_appointment(current_user.id, appointment_id) or abort(404)
    form = MoveAppointmentForm()
    start = parse_start(form.start.data) if form.validate_on_submit() else None
    if start is None:
        flash("Please choose one of the times shown.", "error")
        return redirect(url_for("appointments.show", appointment_id=appointment_id))
    try:
        booking.move_by_patient(current_user, appointment_id, start)
    except free_times.SlotTaken as taken:
        choice = free_times.SlotChoice(appointment.provider, appointment.location, appointment.type)
        return render_template(
            "booking/taken.html", choice=choice, taken=taken, move=appointment_id
        ), 409
    except free_times.BookingError as error:
        flash(str(error), "error")
    else:
        flash("Your request has its new time. We will confirm it by email.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))
