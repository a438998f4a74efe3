"""May this visit be confirmed (or moved) now? The safety checks, each failure in words."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .consent import ConsentState


class Check(StrEnum):
    CONSENT = "consent"  # a signed consent of the current version, not withdrawn nor expired
    SCREENING = "screening"  # no absolute finding on the current intake
    REVIEW = "review"  # precautions cleared by a therapist


@dataclass(frozen=True)
class ConsentFacts:
    """The patient's consent that counts, else their newest; state None: never signed."""

    state: ConsentState | None
    version_label: str = ""
    signed_on: date | None = None
    withdrawn_on: date | None = None
    expired_on: date | None = None


@dataclass(frozen=True)
class VisitFacts:
    involves_dry_needling: bool
    consent: ConsentFacts
    absolute_reasons: tuple[str, ...] = ()  # the current intake's absolute findings, in words
    needs_review: bool = False
    review_outcome: str | None = None  # cleared, not_suitable, or None (not reviewed yet)
    has_intake: bool = True  # a current questionnaire


@dataclass(frozen=True)
class Failure:
    check: Check
    message: str


_SIGN_AGAIN = "they must sign again before this visit is confirmed."


class Form(StrEnum):
    """What a patient fills in before a visit, in the order they meet them."""

    INTAKE = "intake"
    CONSENT = "consent"


# A consent the patient simply has yet to sign (again): a form to send, not a refusal. A
# withdrawn consent is the patient's "no", which only a conversation can change.
_TO_SIGN = (None, ConsentState.EXPIRED, ConsentState.SUPERSEDED)


def missing_forms(
    *, involves_dry_needling: bool, has_intake: bool, consent_state: ConsentState | None
) -> tuple[Form, ...]:
    """The forms a patient still has to fill in for a visit of this kind: a current
    questionnaire always, and for dry needling a valid signature of the current consent."""
    missing = [] if has_intake else [Form.INTAKE]
    if involves_dry_needling and consent_state in _TO_SIGN:
        missing.append(Form.CONSENT)
    return tuple(missing)


def failed_checks(
    facts: VisitFacts, *, review: bool = True, forms_may_follow: bool = False
) -> tuple[Failure, ...]:
    """Every check the visit fails, in the order staff would fix them; () when it may go ahead.
    `review=False` leaves the therapist's review out (a moved visit is reviewed again later).
    `forms_may_follow=True` (the desk booking for a caller): a consent not yet signed is no
    failure, the visit goes ahead "forms pending"; a withdrawn one still fails."""
    failures = []
    if facts.involves_dry_needling:
        to_follow = forms_may_follow and facts.consent.state in _TO_SIGN
        if not to_follow and (consent := _consent_failure(facts.consent)) is not None:
            failures.append(Failure(Check.CONSENT, consent))
        if facts.absolute_reasons:
            failures.append(
                Failure(
                    Check.SCREENING,
                    "The patient's questionnaire rules out dry needling until the clinic has "
                    f"talked it through: {' '.join(facts.absolute_reasons)}",
                )
            )
    if review and facts.needs_review and facts.review_outcome != "cleared":
        if facts.review_outcome == "not_suitable":
            message = "A therapist found this request not suitable. Decline it instead."
        else:
            message = "A therapist must review this patient's precautions before it is confirmed."
        failures.append(Failure(Check.REVIEW, message))
    return tuple(failures)


def _consent_failure(consent: ConsentFacts) -> str | None:
    match consent.state:
        case ConsentState.VALID:
            return None
        case None:
            return (
                "The patient has not signed the consent for dry needling; they must sign it "
                "before this visit is confirmed."
            )
        case ConsentState.WITHDRAWN:
            return f"The patient withdrew consent{_on(consent.withdrawn_on)}; {_SIGN_AGAIN}"
        case ConsentState.EXPIRED:
            return (
                f"The patient's consent{_on(consent.signed_on, 'signed')} expired"
                f"{_on(consent.expired_on)}; {_SIGN_AGAIN}"
            )
        case ConsentState.SUPERSEDED:
            label = f" version {consent.version_label} of" if consent.version_label else ""
            return (
                f"The patient signed{label} the consent{_on(consent.signed_on)}, and the clinic "
                "has published a new version since; they must sign the current one before this "
                "visit is confirmed."
            )
    raise ValueError(consent.state)


def _on(day: date | None, verb: str = "") -> str:
    if day is None:
        return ""
    words = f"on {day:%B} {day.day}, {day.year}"
    return f", {verb} {words}," if verb else f" {words}"


def refusal(failures: tuple[Failure, ...], *, may_override: bool, verb: str = "confirm") -> str:
    """What staff read when the visit is refused: every reason, and the way on for an admin."""
    message = " ".join(f.message for f in failures)
    if may_override:
        message += f" To {verb} anyway, give the reason for overriding."
    return message
