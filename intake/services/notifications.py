"""What each appointment change tells whom: outbox rows written in the change's transaction."""

from dataclasses import dataclass

from flask import current_app

from ..domain.calendar import CalendarEvent, build_calendar
from ..extensions import db
from ..formatting import when
from ..models import Appointment, AppointmentStatus, OutboxMessage


@dataclass(frozen=True)
class Notice:
    subject: str
    opening: str  # the first paragraph: what happened
    method: str  # iCalendar METHOD of the attachment: REQUEST or CANCEL


PATIENT_NOTICES = {
    "requested": Notice(
        "We received your appointment request",
        "Thank you. We have your request and will confirm it by email soon.",
        "REQUEST",
    ),
    "confirmed": Notice(
        "Your appointment is confirmed", "Good news: your appointment is confirmed.", "REQUEST"
    ),
    "declined": Notice(
        "We could not confirm your appointment request",
        "We are sorry: we could not confirm this request.",
        "CANCEL",
    ),
    "cancelled": Notice(
        "Your appointment is cancelled", "Your appointment has been cancelled.", "CANCEL"
    ),
    "moved": Notice(
        "Your appointment request has a new time",
        "Your appointment request now has a new time. We will confirm it by email.",
        "REQUEST",
    ),
    "reminder": Notice(
        "Reminder: your appointment is coming up",
        "A reminder of your appointment in the next day.",
        "REQUEST",
    ),
}
STAFF_NOTICES = {
    "requested": Notice(
        "New appointment request", "A patient asked for an appointment.", "REQUEST"
    ),
    "cancelled": Notice("Appointment cancelled", "An appointment was cancelled.", "CANCEL"),
    "moved": Notice(
        "Appointment request moved", "An appointment request has a new time.", "REQUEST"
    ),
}


def calendar_event(appointment: Appointment) -> CalendarEvent:
    config = current_app.config
    status = {
        AppointmentStatus.REQUESTED: "TENTATIVE",
        AppointmentStatus.CONFIRMED: "CONFIRMED",
    }.get(appointment.status, "CANCELLED")
    sender_domain = config["INTAKE_CLINIC_EMAIL"].rpartition("@")[2] or "clinic"
    return CalendarEvent(
        uid=f"appointment-{appointment.id}@{sender_domain}",
        sequence=appointment.revision,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        zone=appointment.location.timezone,
        summary=f"{appointment.type.name} with {appointment.provider.display_name}",
        location=f"{config['INTAKE_CLINIC_NAME']}, {appointment.location.one_line_address}",
        status=status,
    )


def notify(
    appointment: Appointment, event: str, reason: str = "", *, settings=None, stamped_at=None
) -> None:  # settings and stamped_at: the noweb branch wires them in
    """Queue the emails an event sends; the caller commits them with the change itself."""
    if event in PATIENT_NOTICES:
        _queue(
            appointment,
            PATIENT_NOTICES[event],
            appointment.patient.email,
            event,
            reason,
            greeting=appointment.patient.first_name,
        )
    if event in STAFF_NOTICES:
        staff = [appointment.provider.user.email, current_app.config["INTAKE_FRONT_DESK_EMAIL"]]
        for address in dict.fromkeys(staff):  # once each, in order
            _queue(
                appointment,
                STAFF_NOTICES[event],
                address,
                f"staff_{event}",
                reason,
                greeting="team",
            )


def _queue(appointment, notice: Notice, to: str, kind: str, reason: str, greeting: str) -> None:
    config = current_app.config
    local = appointment.location.timezone
    # Emails are not a secure channel: no clinical answers, only the visit itself.
    lines = [
        f"Hello {greeting},",
        "",
        notice.opening,
        "",
        f"What:  {appointment.type.name}",
        f"With:  {appointment.provider.display_name}",
        f"When:  {when(appointment.starts_at, local)}",
        f"Where: {appointment.location.name}, {appointment.location.one_line_address}",
    ]
    if reason:
        lines += ["", f"Reason: {reason}"]
    lines += [
        "",
        f"Questions? Call us at {config['INTAKE_CLINIC_PHONE']}.",
        f"{config['INTAKE_CLINIC_NAME']}",
    ]
    db.session.add(
        OutboxMessage(
            kind=kind,
            recipient=to,
            subject=f"{notice.subject} ({when(appointment.starts_at, local)})",
            body="\n".join(lines) + "\n",
            ics=build_calendar([calendar_event(appointment)], method=notice.method),
            ics_method=notice.method,
            appointment_id=appointment.id,
        )
    )
