"""What staff read about a patient: a record, or one request; answers in words, audited."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..database import begin_write
from ..domain.consent import ConsentState
from ..domain.patients import age_on
from ..domain.screening import RULES, Finding, ScreeningLevel, ScreeningResult, rule_for
from ..extensions import db
from ..formatting import long_date, phone_display
from ..forms import IntakeForm
from ..models import Appointment, AppointmentEvent, Intake, Provider, SignedConsent, User
from ..permissions import STAFF_ROLES, Role
from . import audit
from .access import may_see_patient
from .consents import consents_with_state
from .intakes import changed_answers, current_intake, intake_history
from .queue import ConsentStatus, Flag, consent_statuses, flags_of

# The level in words first; the colour class only repeats it.
LEVEL_WORDS = {
    ScreeningLevel.ABSOLUTE: "Absolute: no dry needling until the clinic has talked it through",
    ScreeningLevel.RED_FLAG: "Urgent red flag: call the patient; the therapist sees it first",
    ScreeningLevel.AREA_SPECIFIC: "Area-specific: do not needle the area named",
    ScreeningLevel.PRECAUTION: "Precaution: a therapist reviews before confirming",
}


@dataclass(frozen=True)
class Answer:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class FindingView:
    level: str
    words: str
    question: str
    reason: str
    detail: str


@dataclass(frozen=True)
class IntakeVersion:
    intake: Intake
    changes: list[tuple[str, str, str]]  # label, before, after


@dataclass(frozen=True)
class PatientRecord:
    patient: User
    intake: Intake | None
    answers: list[tuple[str, list[Answer]]]
    findings: list[FindingView]
    versions: list[IntakeVersion]
    consents: list[tuple[SignedConsent, ConsentState]]


# Where each part of the questionnaire starts, as the patient saw it.
SECTIONS = {
    "legal_first_name": "About the patient",
    "emergency_name": "Emergency contact",
    "reason": "Their pain",
    "medications": "Their health",
    "referral_source": "How they found us",
    RULES[0].key: "Safety questions",
}
# Labels that only make sense under their heading on the form.
LABELS = {
    "emergency_name": "Emergency contact's name",
    "emergency_relationship": "Emergency contact's relationship to the patient",
    "emergency_phone": "Emergency contact's phone",
}
_SCREENING_KEYS = frozenset(rule.key for rule in RULES)


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    section: str
    choices: dict


@cache
def questions() -> tuple[Question, ...]:
    """Every question of the intake form with its label, in the order the patient met it."""
    unbound = sorted(
        (
            (name, field)
            for name, field in vars(IntakeForm).items()
            if hasattr(field, "field_class") and name != "csrf_token"
        ),
        key=lambda pair: pair[1].creation_counter,
    )
    found, section = [], ""
    for name, field in unbound:
        section = SECTIONS.get(name, section)
        label = LABELS.get(name) or (field.args[0] if field.args else field.kwargs["label"])
        choices = {c.value: c.label for c in field.kwargs.get("choices", ())}
        found.append(Question(name, label, section, choices))
    return tuple(found)


def readable(name: str, value, choices: dict) -> str:
    """An answer as people read it: choices by their label, phones and dates written out."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(choices.get(v, str(v)) for v in value)
    if name in ("phone", "emergency_phone"):
        return phone_display(str(value))
    if name == "born_on":
        try:
            return long_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return choices.get(value, str(value))


def answers_in_words(answers: dict) -> list[tuple[str, list[Answer]]]:
    """The answers under the form's own headings and labels. Blank details are left out, other
    blanks read "Not answered"; safety questions answered no are counted, not listed."""
    sections: dict[str, list[Answer]] = {}
    said_no = 0
    for question in questions():
        raw = answers.get(question.name)
        if question.name in _SCREENING_KEYS and raw == "no":
            said_no += 1
            continue
        value = readable(question.name, raw, question.choices)
        if not value and question.name.endswith("_detail"):
            continue
        sections.setdefault(question.section, []).append(
            Answer(question.name, question.label, value or "Not answered")
        )
    if said_no:
        sections.setdefault("Safety questions", []).append(
            Answer("screening_no", "Every other safety question", f"No ({said_no} questions)")
        )
    # Answers to questions since removed from the form still show, under their key.
    known = {question.name for question in questions()}
    for name in sorted(answers.keys() - known):
        if value := readable(name, answers[name], {}):
            sections.setdefault("Other answers", []).append(
                Answer(name, name.replace("_", " ").capitalize(), value)
            )
    return list(sections.items())


def findings_in_words(screening: dict | None) -> list[FindingView]:
    if not screening or not screening.get("findings"):
        return []
    return [_finding(f) for f in ScreeningResult.from_dict(screening).findings]


def _finding(finding: Finding) -> FindingView:
    try:
        question = rule_for(finding.key).question
    except KeyError:  # a rule since removed: the stored reason still says why
        question = finding.key.replace("_", " ").capitalize()
    return FindingView(
        finding.level.value, LEVEL_WORDS[finding.level], question, finding.reason, finding.detail
    )


def versions_with_changes(patient_id: int) -> list[IntakeVersion]:
    """Newest first, each with what the patient changed from the version before it."""
    history = intake_history(patient_id)
    by_name = {question.name: question for question in questions()}
    versions = []
    for newer, older in zip(history, [*history[1:], None], strict=False):
        changes = []
        if older is not None:
            for key, (before, after) in changed_answers(older.answers, newer.answers).items():
                question = by_name.get(key, Question(key, key, "", {}))
                changes.append(
                    (
                        question.label,
                        readable(key, before, question.choices),
                        readable(key, after, question.choices),
                    )
                )
        versions.append(IntakeVersion(newer, changes))
    return versions


def patient_record(
    viewer: User, patient_id: int, now: datetime, max_age: timedelta
) -> PatientRecord | None:
    """The record when the viewer may see it (every look audited); None reads as 404."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role != Role.PATIENT:
        return None
    if viewer.role not in STAFF_ROLES or not may_see_patient(viewer, patient_id):
        return None
    _audit_look(viewer, patient_id, "viewed_patient", "user", patient_id)
    versions = versions_with_changes(patient_id)
    intake = next((v.intake for v in versions if v.intake.superseded_at is None), None)
    return PatientRecord(
        patient=patient,
        intake=intake,
        answers=answers_in_words(intake.answers) if intake else [],
        findings=findings_in_words(intake.screening) if intake else [],
        versions=versions,
        consents=consents_with_state(patient_id, now, max_age),
    )


def _audit_look(viewer: User, patient_id: int, action: str, object_type: str, object_id: int):
    """The look, and the intake it shows, on record (committed) before anything is shown."""
    begin_write(db.session)  # SQLite: a read transaction could not start writing under load
    audit.record(
        action,
        actor_id=viewer.id,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
    )
    intake_id = db.session.scalar(
        select(Intake.id).where(Intake.patient_id == patient_id, Intake.superseded_at.is_(None))
    )
    if intake_id is not None:
        audit.record(
            "viewed_intake",
            actor_id=viewer.id,
            object_type="intake",
            object_id=intake_id,
            patient_id=patient_id,
        )
    db.session.commit()


# --- one request, for the front desk ------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    appointment: Appointment
    intake: Intake | None
    age: int | None
    answers: list[tuple[str, list[Answer]]]
    findings: list[FindingView]
    consent: ConsentStatus
    flags: list[Flag]
    history: list[AppointmentEvent]
    notes: list[AppointmentEvent]

    @property
    def intake_changed_since_request(self) -> bool:
        asked_with = self.appointment.intake_id
        return None not in (self.intake, asked_with) and self.intake.id != asked_with


def open_request(
    appointment_id: int, viewer: User, today: date, now: datetime, max_age: timedelta
) -> RequestView | None:
    """One request with everything the front desk needs; the look is audited first."""
    patient_id = db.session.scalar(
        select(Appointment.patient_id).where(Appointment.id == appointment_id)
    )
    if patient_id is None:
        return None
    _audit_look(viewer, patient_id, "viewed_request", "appointment", appointment_id)
    appointment = _loaded(appointment_id)
    intake = current_intake(patient_id)
    events = list(appointment.events)
    return RequestView(
        appointment=appointment,
        intake=intake,
        age=age_on(intake.born_on, today) if intake else None,
        answers=answers_in_words(intake.answers) if intake else [],
        findings=findings_in_words(intake.screening if intake else None),
        consent=consent_statuses([patient_id], now, max_age)[patient_id],
        flags=flags_of(appointment),
        history=[e for e in events if e.action != "note"],
        notes=[e for e in events if e.action == "note"],
    )


def _loaded(appointment_id: int) -> Appointment:
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .options(
            joinedload(Appointment.patient),
            joinedload(Appointment.provider).joinedload(Provider.user),
            joinedload(Appointment.location),
            joinedload(Appointment.type),
            joinedload(Appointment.reviewed_by),
            selectinload(Appointment.events).joinedload(AppointmentEvent.actor),
        )
    ).one()
