"""The safety checks at confirming and moving: the facts loaded, the rule applied, an admin's
override with its reason, and each refusal or override on the audit trail."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..domain.confirmation import (
    Check,
    ConsentFacts,
    Failure,
    VisitFacts,
    failed_checks,
    refusal,
)
from ..domain.screening import ScreeningLevel, ScreeningResult
from ..extensions import db
from ..models import Appointment, Intake, User
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit
from .errors import ReviewNeeded, SafetyRefused
from .intakes import current_intake
from .queue import ConsentStatus, consent_statuses

MAX_REASON = 500


@dataclass(frozen=True)
class Override:
    """An admin going ahead although checks failed, and why."""

    reason: str
    failures: tuple[Failure, ...]

    @property
    def audit_action(self) -> str:
        # Overriding only the therapist's review keeps the name it has always had.
        if all(f.check is Check.REVIEW for f in self.failures):
            return "review_overridden"
        return "safety_overridden"

    def history_line(self) -> str:
        if self.audit_action == "review_overridden":
            return f"Admin override of the therapist review: {self.reason}"
        checks = ", ".join(f.check.value for f in self.failures)
        return f"Admin override of failed checks ({checks}): {self.reason}"[:1000]

    def audit_detail(self, action: str) -> dict:
        return {"action": action, "override_reason": self.reason, **failures_detail(self.failures)}


def failures_detail(failures: tuple[Failure, ...]) -> dict:
    return {"failed_checks": [{"check": f.check.value, "reason": f.message} for f in failures]}


def visit_facts(
    appointment: Appointment,
    intake: Intake | None,
    consent: ConsentStatus,
    *,
    zone: str,
    max_age: timedelta,
) -> VisitFacts:
    """The facts the rule needs, from what the caller already loaded."""
    local = ZoneInfo(zone)

    def day(moment: datetime | None):
        return moment.astimezone(local).date() if moment else None

    signed = consent.consent
    withdrawal = signed.withdrawal if signed is not None else None
    absolute = ()
    if intake is not None and intake.screening:
        found = ScreeningResult.from_dict(intake.screening).of_level(ScreeningLevel.ABSOLUTE)
        absolute = tuple(f.reason for f in found)
    return VisitFacts(
        involves_dry_needling=appointment.type.involves_dry_needling,
        consent=ConsentFacts(
            state=consent.state,
            version_label=signed.version.label if signed is not None else "",
            signed_on=day(signed.signed_at) if signed is not None else None,
            withdrawn_on=day(withdrawal.withdrawn_at) if withdrawal is not None else None,
            expired_on=day(signed.signed_at + max_age) if signed is not None else None,
        ),
        absolute_reasons=absolute,
        needs_review=appointment.needs_review,
        review_outcome=appointment.review_outcome,
        has_intake=intake is not None,
    )


def facts_now(appointment: Appointment, *, settings: ClinicSettings, now: datetime) -> VisitFacts:
    """Read inside the caller's write transaction, so they still hold when it commits."""
    patient_id = appointment.patient_id
    consent = consent_statuses([patient_id], now, settings.consent_max_age)[patient_id]
    return visit_facts(
        appointment,
        current_intake(patient_id),
        consent,
        zone=settings.timezone,
        max_age=settings.consent_max_age,
    )


def checked(
    appointment: Appointment,
    actor: User,
    override_reason: str,
    *,
    settings: ClinicSettings,
    now: datetime,
    review: bool = True,
    verb: str = "confirm",
    forms_may_follow: bool = False,
) -> Override | None:
    """None when every check passes, an Override when an admin gave a reason to go ahead;
    otherwise SafetyRefused (ReviewNeeded when only the review is missing). With
    `forms_may_follow`, forms the patient has yet to fill in refuse nothing (the visit is then
    forms pending, services/forms_pending.py); withdrawn consent and absolute findings do."""
    facts = facts_now(appointment, settings=settings, now=now)
    failures = failed_checks(facts, review=review, forms_may_follow=forms_may_follow)
    if not failures:
        return None
    reason = " ".join(override_reason.split())[:MAX_REASON]
    admin = actor.role == Role.ADMIN
    if admin and reason:
        return Override(reason, failures)
    refused = ReviewNeeded if all(f.check is Check.REVIEW for f in failures) else SafetyRefused
    raise refused(refusal(failures, may_override=admin, verb=verb), failures)


@contextmanager
def refusal_recorded(appointment_id: int, actor: User, action: str) -> Iterator[None]:
    """A confirm or move refused by a safety check goes on the audit trail with its reasons,
    in a commit of its own once the refused change has been rolled back."""
    try:
        yield
    except SafetyRefused as refused:
        patient_id = db.session.scalar(
            select(Appointment.patient_id).where(Appointment.id == appointment_id)
        )
        audit.record(
            f"{action}_refused",
            actor_id=actor.id,
            object_type="appointment",
            object_id=appointment_id,
            patient_id=patient_id,
            detail=failures_detail(refused.failures),
            commit=True,
        )
        raise
