"""What each appointment change tells whom: outbox rows written in the change's transaction."""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from ..domain import needling
from ..domain.calendar import CalendarEvent, Party, as_record
from ..extensions import db
from ..formatting import phone_display, when
from ..models import Appointment, AppointmentStatus, AppointmentType, Location, Provider, User
from ..permissions import Role
from ..settings import ClinicSettings
from . import outbox
from .public_cache import PublicLocation, PublicProvider, PublicType


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


@dataclass(frozen=True)
class Visit:
    """An appointment with the rows its emails name. From its relationships (`of`), or, for a
    request just written, from what the booking resolved: the directory's snapshots of the
    provider, place and type have the same attributes, and reading them costs no query."""

    appointment: Appointment
    patient: User
    provider: Provider | PublicProvider  # display_name, account_email
    location: Location | PublicLocation  # name, one_line_address, timezone
    kind: AppointmentType | PublicType  # name

    @classmethod
    def of(cls, appointment: Appointment) -> "Visit":
        return cls(
            appointment,
            appointment.patient,
            appointment.provider,
            appointment.location,
            appointment.type,
        )


def calendar_event(appointment: Appointment, settings: ClinicSettings) -> CalendarEvent:
    return _event(Visit.of(appointment), settings)


def _event(visit: Visit, settings: ClinicSettings) -> CalendarEvent:
    appointment = visit.appointment
    status = {
        AppointmentStatus.REQUESTED: "TENTATIVE",
        AppointmentStatus.CONFIRMED: "CONFIRMED",
    }.get(appointment.status, "CANCELLED")
    sender_domain = settings.clinic_email.rpartition("@")[2] or "clinic"
    return CalendarEvent(
        uid=f"appointment-{appointment.id}@{sender_domain}",
        sequence=appointment.revision,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        zone=visit.location.timezone,
        summary=f"{visit.kind.name} with {visit.provider.display_name}",
        location=f"{settings.clinic_name}, {visit.location.one_line_address}",
        status=status,
    )


# What the attendee's PARTSTAT says: the patient asked for (or agreed to) the visit, and a
# cancelled one they no longer attend.
PARTSTAT = {"REQUEST": "ACCEPTED", "CANCEL": "DECLINED"}


def invitation(visit: Visit, method: str, audience: str, settings: ClinicSettings) -> CalendarEvent:
    """The event as an email attaches it: the clinic invites, as RFC 5546 asks of a REQUEST
    and a CANCEL. The patient's copy names the patient; the staff's copy names the therapist,
    so a patient's name and address reach staff only on the clinic's audited pages."""
    if audience == "patient":
        patient = visit.patient
        attendee = Party(patient.email or "", patient.full_name, PARTSTAT[method])
    else:
        provider = visit.provider
        attendee = Party(provider.account_email, provider.display_name, PARTSTAT[method])
    return replace(
        _event(visit, settings),
        organizer=Party(settings.sender_email or settings.clinic_email, settings.clinic_name),
        attendees=(attendee,),
    )


# The patient's link to the visit, and what it is for after each kind of change.
VISIT_LINK_WORDS = {
    "declined": "See why, and choose another time",
    "cancelled": "See it in your account",
}
VISIT_LINK_DEFAULT = "See your appointment, or move or cancel it"


def notify(
    appointment: Appointment,
    kind: str,
    reason: str = "",
    *,
    settings: ClinicSettings,
    stamped_at: datetime,
    visit: Visit | None = None,
) -> None:
    """Queue the emails a change of this kind sends; the caller commits them with the change
    itself. stamped_at is the change's time, the attachments' DTSTAMP. `visit`: the
    appointment's rows when the caller holds them (else read through its relationships)."""
    visit = visit or Visit.of(appointment)
    moment = when(appointment.starts_at, visit.location.timezone)
    change = _Change(visit, reason, settings, stamped_at, moment, {})
    # Every address first, then every row, in one INSERT without RETURNING: nothing reads
    # their ids, and SQLite returns ids one INSERT per row.
    letters = []
    patient = visit.patient
    if kind in PATIENT_NOTICES and patient.email:  # booked by phone, no email
        letters.append((PATIENT_NOTICES[kind], patient.email, kind, "patient"))
    if kind in STAFF_NOTICES:
        staff = [visit.provider.account_email, settings.front_desk_email]
        for address in dict.fromkeys(staff):  # once each, in order
            letters.append((STAFF_NOTICES[kind], address, f"staff_{kind}", "staff"))
    if letters:
        outbox.queue([_letter(change, *letter) for letter in letters])


@dataclass(frozen=True)
class _Change:
    """What every email about one change shares, its invitations included: the staff's
    emails carry the same one, made once."""

    visit: Visit
    reason: str
    settings: ClinicSettings
    stamped_at: datetime
    moment: str  # when the visit is, in words: every letter says it twice
    calendars: dict[tuple[str, str], dict]  # by METHOD and audience

    def calendar(self, method: str, audience: str) -> dict:
        """The invitation as values: the mail worker writes the file when it sends (building
        it here cost ~1 ms an email, inside the change's transaction and SQLite's lock)."""
        if (method, audience) not in self.calendars:
            event = invitation(self.visit, method, audience, self.settings)
            self.calendars[method, audience] = as_record(
                event, stamped_at=self.stamped_at, method=method
            )
        return self.calendars[method, audience]


def _letter(change: _Change, notice: Notice, to: str, kind: str, audience: str) -> dict:
    visit, reason, settings = change.visit, change.reason, change.settings
    appointment = visit.appointment
    greeting = visit.patient.first_name if audience == "patient" else "team"
    # Emails are not a secure channel: no clinical answers, only the visit itself.
    lines = [
        f"Hello {greeting},",
        "",
        notice.opening,
        "",
        f"What:  {visit.kind.name}",
        f"With:  {visit.provider.display_name}",
        f"When:  {change.moment}",
        f"Where: {visit.location.name}, {visit.location.one_line_address}",
    ]
    if reason:
        lines += ["", f"Reason: {reason}"]
    if audience == "patient" and (link := settings.visit_link(appointment.id)):
        words = VISIT_LINK_WORDS.get(kind, VISIT_LINK_DEFAULT)
        lines += ["", f"{words}:", link]
    lines += [
        "",
        f"Questions? Call us at {phone_display(settings.clinic_phone)}.",
        f"{settings.clinic_name}",
    ]
    return {
        "kind": kind,
        "recipient": to,
        "subject": f"{notice.subject} ({change.moment})",
        "body": "\n".join(lines) + "\n",
        "calendar": change.calendar(notice.method, audience),
        "ics_method": notice.method,
        "appointment_id": appointment.id,
    }


def alert_serious_event(
    appointment: Appointment, kinds: list[str], visit_link: str, *, settings: ClinicSettings
) -> int:
    """An email to every active admin that a serious adverse event was recorded, queued in the
    caller's transaction. It names the kind of event and links to the visit; the patient's
    name and every word the therapist typed stay on the clinic's pages. Returns how many."""
    admins = db.session.scalars(
        select(User.email).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    ).all()
    local = appointment.location.timezone
    lines = [
        "Hello,",
        "",
        "A serious adverse event was recorded in a needling session note:",
        *(f"- {needling.label(kind)}" for kind in kinds),
        "",
        f"Visit:    number {appointment.id}, {when(appointment.starts_at, local)}",
        f"With:     {appointment.provider.display_name}",
        f"Where:    {appointment.location.name}",
        "",
        f"Open the visit to read the note and follow up: {visit_link}",
        "",
        f"{settings.clinic_name}",
    ]
    letters = [
        {
            "kind": "serious_adverse_event",
            "recipient": address,
            "subject": f"Serious adverse event recorded (visit {appointment.id})",
            "body": "\n".join(lines) + "\n",
            "appointment_id": appointment.id,
        }
        for address in admins
    ]
    if letters:
        outbox.queue(letters)
    return len(letters)
