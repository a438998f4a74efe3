"""What staff read about a patient: a record, or one request; answers in words, audited."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..database import begin_write
from ..domain import questionnaire
from ..domain.confirmation import Failure, failed_checks
from ..domain.consent import ConsentState
from ..domain.patients import age_on
from ..domain.questionnaire import Kind, Question
from ..domain.screening import RULES, Finding, ScreeningLevel, ScreeningResult, rule_for
from ..extensions import db
from ..formatting import long_date, phone_display
from ..models import (
    Appointment,
    AppointmentEvent,
    Callback,
    CheckIn,
    Intake,
    Provider,
    SignedConsent,
    User,
)
from ..permissions import STAFF_ROLES, Role
from . import audit, forms_pending
from .access import may_see_patient
from .aftercare import answered_check_ins
from .confirmation import visit_facts
from .consents import consents_with_state
from .intakes import changed_answers, current_intake, intake_history
from .notes import notes_of
from .patients import Visits, callbacks_of, visits_of
from .queue import ConsentStatus, Flag, consent_statuses, flags_of

# The level in words; the page may add a colour (records/_findings.html), never instead.
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
    level: ScreeningLevel
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
    notes: list[Appointment]  # visits with a signed session note, newest first
    check_ins: list[CheckIn]  # answered, newest first
    visits: Visits | None = None
    callbacks: list[Callback] = field(default_factory=list)

    @property
    def consent_valid(self) -> bool:
        return any(state is ConsentState.VALID for _, state in self.consents)

    def forms_pending(self, appointment: Appointment) -> bool:
        """The forms-pending rule of the calendar and the desk's list, from the patient's
        forms as they stand now (newest consent first) and the visit's "on paper" mark."""
        state = ConsentState.VALID if self.consent_valid else None
        if state is None and self.consents:
            state = self.consents[0][1]
        missing = forms_pending.missing_for(appointment, self.intake is not None, state)
        return forms_pending.is_pending(appointment, missing)


# Answers kept from questions since removed from the questionnaire show under this heading.
OTHER_ANSWERS = "Other answers"
_SCREENING_KEYS = frozenset(rule.key for rule in RULES)


def readable(question: Question, value) -> str:
    """An answer as people read it: choices by their label, phones and dates written out."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(question.choice_label(v) for v in value)
    if question.kind is Kind.PHONE:
        return phone_display(str(value))
    if question.kind is Kind.DATE:
        try:
            return long_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return question.choice_label(value)


def answers_in_words(answers: dict) -> list[tuple[str, list[Answer]]]:
    """The answers under the questionnaire's headings, each labelled so it reads on its own.
    Blank details are left out, other blanks read "Not answered"; safety questions answered
    no are counted, not listed."""
    sections: dict[str, list[Answer]] = {}
    said_no = 0
    for question in questionnaire.questions():
        raw = answers.get(question.name)
        if question.name in _SCREENING_KEYS and raw == "no":
            said_no += 1
            continue
        value = readable(question, raw)
        if not value and question.name.endswith("_detail"):
            continue
        sections.setdefault(question.section, []).append(
            Answer(question.name, question.record_label, value or "Not answered")
        )
    if said_no:
        sections.setdefault(questionnaire.SAFETY, []).append(
            Answer("screening_no", "Every other safety question", f"No ({said_no} questions)")
        )
    known = {question.name for question in questionnaire.questions()}
    for name in sorted(answers.keys() - known):
        label = name.replace("_", " ").capitalize()
        if value := readable(Question(name, label, OTHER_ANSWERS), answers[name]):
            sections.setdefault(OTHER_ANSWERS, []).append(Answer(name, label, value))
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
        finding.level, LEVEL_WORDS[finding.level], question, finding.reason, finding.detail
    )


def versions_with_changes(patient_id: int) -> list[IntakeVersion]:
    """Newest first, each with what the patient changed from the version before it."""
    history = intake_history(patient_id)
    versions = []
    for newer, older in zip(history, [*history[1:], None], strict=False):
        changes = []
        if older is not None:
            for key, (before, after) in changed_answers(older.answers, newer.answers).items():
                question = _question_or_removed(key)
                changes.append(
                    (question.record_label, readable(question, before), readable(question, after))
                )
        versions.append(IntakeVersion(newer, changes))
    return versions


def _question_or_removed(name: str) -> Question:
    try:
        return questionnaire.question(name)
    except KeyError:  # a question since removed: its answer still shows, under its key
        return Question(name, name, OTHER_ANSWERS)


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
        notes=notes_of(patient_id),
        check_ins=answered_check_ins(patient_id),
        visits=visits_of(patient_id, now),
        callbacks=callbacks_of(patient_id),
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
    failures: tuple[Failure, ...] = ()  # the safety checks confirming would fail now

    @property
    def intake_changed_since_request(self) -> bool:
        asked_with = self.appointment.intake_id
        return None not in (self.intake, asked_with) and self.intake.id != asked_with


def open_request(
    appointment_id: int,
    viewer: User,
    today: date,
    now: datetime,
    max_age: timedelta,
    zone: str,
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
    consent = consent_statuses([patient_id], now, max_age)[patient_id]
    facts = visit_facts(appointment, intake, consent, zone=zone, max_age=max_age)
    return RequestView(
        appointment=appointment,
        intake=intake,
        age=age_on(intake.born_on, today) if intake else None,
        answers=answers_in_words(intake.answers) if intake else [],
        findings=findings_in_words(intake.screening if intake else None),
        consent=consent,
        flags=flags_of(appointment),
        history=[e for e in events if e.action != "note"],
        notes=[e for e in events if e.action == "note"],
        failures=failed_checks(facts),
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
