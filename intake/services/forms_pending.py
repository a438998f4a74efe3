"""Forms pending: a visit the desk booked although the patient has yet to fill in the intake
or sign the consent. The patient is emailed a signed link to them; the desk can resend it or
mark "completing on paper at arrival"; the desk's list and the calendar show what is missing.

Pending is derived, never stored: a holding visit, not marked on paper, whose patient lacks
a form its type needs (domain/confirmation.py `missing_forms`). The moment the patient signs,
the list, the badges and the request page agree, with no flag to clear."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..database import begin_write
from ..domain.availability import day_bounds
from ..domain.confirmation import Form, missing_forms
from ..extensions import db
from ..formatting import phone_display, when
from ..models import Appointment, AppointmentStatus, Intake, User
from ..settings import ClinicSettings
from . import audit, confirmation, outbox
from .changes import load
from .errors import ActionRefused
from .forms_link import link_expires_at, link_for
from .history import appointment_history
from .queue import consent_statuses

FORM_WORDS = {Form.INTAKE: "health questionnaire", Form.CONSENT: "consent for dry needling"}
NO_EMAIL = "This patient has no email address: call them, or mark the forms as on paper."
NOTHING_MISSING = "Nothing to send: the patient's forms for this visit are complete."
NOT_HOLDING = "This visit is no longer booked, so it needs no forms."
CHANGED = "This visit changed meanwhile. Here it is as it stands now; please try again."


@dataclass(frozen=True)
class PendingRow:
    """A visit still waiting for its forms, as the desk's list shows it."""

    appointment: Appointment
    missing: tuple[Form, ...]


def missing_now(
    appointment: Appointment, *, settings: ClinicSettings, now: datetime
) -> tuple[Form, ...]:
    """The forms this visit's patient still lacks, from the facts the confirm checks read."""
    return progress(appointment, settings=settings, now=now).missing


@dataclass(frozen=True)
class Progress:
    """Where a patient stands with a visit's forms."""

    missing: tuple[Form, ...]
    blocked: bool  # an absolute finding on the new intake: the clinic calls before needling


def progress(appointment: Appointment, *, settings: ClinicSettings, now: datetime) -> Progress:
    facts = confirmation.facts_now(appointment, settings=settings, now=now)
    missing = missing_forms(
        involves_dry_needling=facts.involves_dry_needling,
        has_intake=facts.has_intake,
        consent_state=facts.consent.state,
    )
    return Progress(missing, facts.involves_dry_needling and bool(facts.absolute_reasons))


def missing_for(appointment: Appointment, has_intake: bool, consent_state) -> tuple[Form, ...]:
    """From what a page already loaded (the request page's intake and consent status)."""
    return missing_forms(
        involves_dry_needling=appointment.type.involves_dry_needling,
        has_intake=has_intake,
        consent_state=consent_state,
    )


def is_pending(appointment: Appointment, missing: tuple[Form, ...]) -> bool:
    return bool(missing) and appointment.holds_time and appointment.forms_on_paper_at is None


def after_staff_booking(
    appointment: Appointment, actor: User, *, settings: ClinicSettings, now: datetime
) -> tuple[Form, ...]:
    """The hook of every staff booking, inside its transaction before its commit (the visit
    flushed, so it has an id): when forms are missing, the visit's history says so and the
    patient, when they have an email, gets ONE email with a link to them. Returns what is
    missing, () when nothing is."""
    missing = missing_now(appointment, settings=settings, now=now)
    if not missing:
        return ()
    emailed = _queue_link(appointment, missing, settings=settings, now=now)
    status = appointment.status
    detail = f"Forms pending: {_words(missing)}. " + (
        "Link emailed to the patient." if emailed else "No email address: no link sent."
    )
    appointment_history(appointment, actor, "forms_pending", status, status, now, detail)
    db.session.flush()
    return missing


def resend(appointment_id: int, actor: User, *, settings: ClinicSettings, now: datetime) -> None:
    """A fresh link by email, audited. ActionRefused, with nothing written, when the visit
    is no longer booked, its forms are complete, or the patient has no email."""
    with _opened(appointment_id) as appointment:
        missing = missing_now(appointment, settings=settings, now=now)
        if not missing:
            raise ActionRefused(NOTHING_MISSING)
        if not _queue_link(appointment, missing, settings=settings, now=now):
            raise ActionRefused(NO_EMAIL)
        _record(appointment, actor, "forms_link_resent", "Forms link emailed again.", now)


def mark_on_paper(
    appointment_id: int, actor: User, *, settings: ClinicSettings, now: datetime
) -> None:
    """ "Completing on paper at arrival": who said so and when, on the visit and the audit
    trail; the visit leaves the forms-pending list. Marking twice keeps the first mark."""
    with _opened(appointment_id) as appointment:
        if appointment.forms_on_paper_at is not None:
            return
        appointment.forms_on_paper_at = now
        appointment.forms_on_paper_by_id = actor.id
        _record(appointment, actor, "forms_on_paper", "Completing forms on paper at arrival.", now)


class _opened:
    """The visit under its provider's lock; anything raised rolls the transaction back."""

    def __init__(self, appointment_id: int):
        self.appointment_id = appointment_id

    def __enter__(self) -> Appointment:
        provider_id = db.session.scalar(
            select(Appointment.provider_id).where(Appointment.id == self.appointment_id)
        )
        if provider_id is None:
            raise LookupError(self.appointment_id)
        begin_write(db.session, provider_id)
        appointment = load(self.appointment_id)
        if appointment is None:
            db.session.rollback()
            raise LookupError(self.appointment_id)
        if not appointment.holds_time:
            db.session.rollback()
            raise ActionRefused(NOT_HOLDING)
        return appointment

    def __exit__(self, kind, error, trace) -> bool:
        if error is not None:
            db.session.rollback()
            return False
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            raise ActionRefused(CHANGED) from None
        return False


def _record(appointment: Appointment, actor: User, action: str, detail: str, now) -> None:
    status = appointment.status
    appointment_history(appointment, actor, action, status, status, now, detail)
    audit.record(
        action,
        actor_id=actor.id,
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
    )


def _queue_link(
    appointment: Appointment, missing: tuple[Form, ...], *, settings: ClinicSettings, now
) -> bool:
    """One email with a fresh link, in the caller's transaction; False without an address."""
    patient = appointment.patient
    if not patient.email:
        return False
    local = appointment.location.timezone
    link = link_for(appointment, settings)
    lines = [
        f"Hello {patient.first_name},",
        "",
        "Before your visit, please fill in:",
        *(f"- your {FORM_WORDS[form]}" for form in missing),
        "",
        f"What:  {appointment.type.name}",
        f"With:  {appointment.provider.display_name}",
        f"When:  {when(appointment.starts_at, local)}",
        f"Where: {appointment.location.name}, {appointment.location.one_line_address}",
        "",
        "Open this link to fill them in:",
        "",
        link,
        "",
        f"The link works until {when(link_expires_at(appointment, now, settings), local)}.",
        "If it has stopped working, or you would rather fill them in on paper when you",
        f"arrive, call us at {phone_display(settings.clinic_phone)}.",
        "",
        settings.clinic_name,
    ]
    outbox.queue(
        [
            {
                "kind": "forms_link",
                "recipient": patient.email,
                "subject": "Before your visit: your forms",  # no name, no health words
                "body": "\n".join(lines) + "\n",
                "appointment_id": appointment.id,
                "created_at": now,
                "next_attempt_at": now,
            }
        ],
    )
    appointment.forms_link_sent_at = now
    return True


def _words(missing: tuple[Form, ...]) -> str:
    return " and ".join(FORM_WORDS[form] for form in missing)


# --- the desk's list and the calendar's flag ---------------------------------------------


def missing_of(
    appointments: list[Appointment], *, settings: ClinicSettings, now: datetime
) -> dict[int, tuple[Form, ...]]:
    """What each visit's patient lacks, by visit id, in three queries for any number."""
    patient_ids = sorted({a.patient_id for a in appointments})
    if not patient_ids:
        return {}
    with_intake = set(
        db.session.scalars(
            select(Intake.patient_id).where(
                Intake.patient_id.in_(patient_ids), Intake.superseded_at.is_(None)
            )
        )
    )
    consents = consent_statuses(patient_ids, now, settings.consent_max_age)
    return {
        a.id: missing_forms(
            involves_dry_needling=a.type.involves_dry_needling,
            has_intake=a.patient_id in with_intake,
            consent_state=consents[a.patient_id].state,
        )
        for a in appointments
    }


def pending_ids(
    appointments: list[Appointment], *, settings: ClinicSettings, now: datetime
) -> set[int]:
    """The visits among these that are forms pending (the calendar's flag)."""
    holding = [a for a in appointments if a.holds_time and a.forms_on_paper_at is None]
    missing = missing_of(holding, settings=settings, now=now)
    return {a.id for a in holding if missing[a.id]}


def pending_on(
    day: date, viewer: User, *, settings: ClinicSettings, now: datetime
) -> list[PendingRow]:
    """The day's visits (clinic zone) still waiting for forms, by time. The look is audited
    first: it names patients, and its commit would forget what was loaded after it."""
    audit.record(
        "viewed_forms_pending",
        actor_id=viewer.id,
        object_type="day",
        detail={"day": day.isoformat()},
        commit=True,
    )
    span = day_bounds(day, settings.timezone)
    visits = list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.status.in_((AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)),
                Appointment.starts_at >= span.start,
                Appointment.starts_at < span.end,
                Appointment.forms_on_paper_at.is_(None),
            )
            .options(
                joinedload(Appointment.patient),
                joinedload(Appointment.type),
                joinedload(Appointment.provider),
                joinedload(Appointment.location),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )
    missing = missing_of(visits, settings=settings, now=now)
    return [PendingRow(a, missing[a.id]) for a in visits if missing[a.id]]
