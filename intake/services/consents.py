"""Publishing consent texts, signing, withdrawing, and finding a patient's valid consent."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import ScalarSelect, Select, bindparam, select
from sqlalchemy.orm import defer, joinedload

from ..domain.consent import (
    ACKNOWLEDGEMENTS,
    ConsentState,
    consent_state,
    decode_signature,
    same_name,
    text_sha256,
)
from ..domain.patients import is_minor
from ..extensions import db
from ..models import ConsentVersion, ConsentWithdrawal, SignedConsent, User, utcnow
from ..permissions import STAFF_ROLES
from . import audit
from .access import may_see_patient
from .intakes import current_intake


class ConsentRefused(ValueError):
    """Why a signature was not accepted; `field` says which form field to mark."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Signing:
    version_id: str
    typed_name: str
    guardian_relationship: str
    signature_data_url: str
    acknowledged: tuple[str, ...]
    ip_address: str
    user_agent: str


def current_version() -> ConsentVersion | None:
    return db.session.scalars(
        select(ConsentVersion)
        .where(ConsentVersion.published_at.is_not(None))
        .order_by(ConsentVersion.published_at.desc(), ConsentVersion.id.desc())
    ).first()


@cache
def _current_version_id_query() -> Select:
    return (
        select(ConsentVersion.id)
        .where(ConsentVersion.published_at.is_not(None))
        .order_by(ConsentVersion.published_at.desc(), ConsentVersion.id.desc())
        .limit(1)
    )


def current_version_id_column() -> ScalarSelect:
    """`current_version().id` as a scalar subquery, to read it in another statement without
    loading the version's text."""
    return _current_version_id_query().scalar_subquery()


def publish_version(label: str, body_markdown: str, now: datetime | None = None):
    version = ConsentVersion(
        label=label,
        body_markdown=body_markdown,
        text_sha256=text_sha256(body_markdown),
        published_at=now or utcnow(),
    )
    db.session.add(version)
    db.session.commit()
    return version


def sign_consent(
    patient: User, signing: Signing, today: date, now: datetime | None = None
) -> SignedConsent:
    """Refuses (ConsentRefused) unless every rule of signing holds; `today` is the clinic's."""
    now = now or utcnow()
    version = current_version()
    if version is None or signing.version_id != str(version.id):
        raise ConsentRefused(
            "This consent has been updated. Please read the new version and sign it."
        )
    intake = current_intake(patient.id)
    if intake is None:
        raise ConsentRefused("Please fill in your health questionnaire first.")
    missing = {a.key for a in ACKNOWLEDGEMENTS} - set(signing.acknowledged)
    if missing:
        raise ConsentRefused("Please tick every box to confirm you have read each part.")
    minor = is_minor(intake.born_on, today)
    if minor:
        if not signing.guardian_relationship.strip():
            raise ConsentRefused(
                "A parent or legal guardian must sign for a patient under 18: give your "
                "relationship to the patient.",
                "guardian_relationship",
            )
    elif not same_name(signing.typed_name, intake.legal_name):
        raise ConsentRefused(
            f"Type your full legal name as on your questionnaire: {intake.legal_name}.",
            "typed_name",
        )
    signature = decode_signature(signing.signature_data_url)
    signed = SignedConsent(
        patient_id=patient.id,
        version_id=version.id,
        text_sha256=version.text_sha256,
        typed_name=" ".join(signing.typed_name.split()),
        guardian_name=" ".join(signing.typed_name.split()) if minor else None,
        guardian_relationship=signing.guardian_relationship.strip() if minor else None,
        signature_png=signature,
        acknowledged=sorted(signing.acknowledged),
        signed_at=now,
        ip_address=signing.ip_address[:45],
        user_agent=signing.user_agent[:500],
    )
    db.session.add(signed)
    db.session.commit()
    return signed


def withdraw_consent(
    patient: User, consent_id: int, reason: str, ip_address: str, now: datetime | None = None
) -> ConsentWithdrawal | None:
    consent = db.session.get(SignedConsent, consent_id)
    if consent is None or consent.patient_id != patient.id:
        return None
    if consent.withdrawal is not None:
        return consent.withdrawal
    withdrawal = ConsentWithdrawal(
        consent_id=consent.id,
        reason=reason.strip()[:1000],
        ip_address=ip_address[:45],
        withdrawn_at=now or utcnow(),
    )
    db.session.add(withdrawal)
    db.session.commit()
    return withdrawal


def patient_consents(patient_id: int) -> list[SignedConsent]:
    return list(
        db.session.scalars(
            select(SignedConsent)
            .where(SignedConsent.patient_id == patient_id)
            .options(joinedload(SignedConsent.version), joinedload(SignedConsent.withdrawal))
            .order_by(SignedConsent.signed_at.desc())
        ).unique()
    )


def state_of(
    consent: SignedConsent, current_version_id: int | None, now: datetime, max_age: timedelta
) -> ConsentState:
    return consent_state(
        signed_at=consent.signed_at,
        version_id=consent.version_id,
        current_version_id=current_version_id,
        withdrawn=consent.withdrawal is not None,
        now=now,
        max_age=max_age,
    )


def consents_with_state(
    patient_id: int, now: datetime, max_age: timedelta
) -> list[tuple[SignedConsent, ConsentState]]:
    """A patient's consents, newest first, each with whether it still counts."""
    version = current_version()
    current_id = version.id if version else None
    return [(c, state_of(c, current_id, now, max_age)) for c in patient_consents(patient_id)]


def superseded_consent(patient_id: int, now: datetime, max_age: timedelta):
    """The patient's newest consent when the only reason it no longer counts is a newer
    version of the text: they signed before, and are to be told why they sign again."""
    with_state = consents_with_state(patient_id, now, max_age)
    if with_state and with_state[0][1] is ConsentState.SUPERSEDED:
        return with_state[0][0]
    return None


def valid_consent(patient_id: int, now: datetime, max_age: timedelta) -> SignedConsent | None:
    """The consent booking relies on, if the patient holds one that still counts, with its
    version's label: no consent text, no signature image."""
    consent_id = valid_consent_id(patient_id, now, max_age)
    if consent_id is None:
        return None
    return db.session.scalars(
        select(SignedConsent)
        .where(SignedConsent.id == consent_id)
        .options(
            defer(SignedConsent.signature_png),
            joinedload(SignedConsent.version).load_only(ConsentVersion.label),
            joinedload(SignedConsent.withdrawal),  # none, as it counts: read without a query
        )
    ).one()


def valid_consent_id(patient_id: int, now: datetime, max_age: timedelta) -> int | None:
    """The id of the consent that still counts, if any: what a request records. Reads only
    the columns that decide it; the current version's id comes in the same statement, read
    fresh (an admin may publish one at any moment)."""
    for consent_id, signed_at, version_id, withdrawn, current_id in db.session.execute(
        _consent_states_query(), {"patient_id": patient_id}
    ):
        state = consent_state(
            signed_at=signed_at,
            version_id=version_id,
            current_version_id=current_id,
            withdrawn=withdrawn,
            now=now,
            max_age=max_age,
        )
        if state is ConsentState.VALID:
            return consent_id
    return None


@cache  # built once: every booking runs it
def _consent_states_query() -> Select:
    return (
        select(
            SignedConsent.id,
            SignedConsent.signed_at,
            SignedConsent.version_id,
            ConsentWithdrawal.id.is_not(None),
            current_version_id_column(),
        )
        .outerjoin(ConsentWithdrawal, ConsentWithdrawal.consent_id == SignedConsent.id)
        .where(SignedConsent.patient_id == bindparam("patient_id"))
        .order_by(SignedConsent.signed_at.desc())
    )


def consent_for_viewer(
    consent_id: int, viewer: User, record_view: bool = True
) -> SignedConsent | None:
    """The signed consent when the viewer may see it: its patient, or staff allowed to see that
    patient (each staff look is audited). None reads as 404."""
    consent = db.session.scalars(
        select(SignedConsent)
        .where(SignedConsent.id == consent_id)
        .options(joinedload(SignedConsent.version), joinedload(SignedConsent.withdrawal))
    ).first()
    if consent is None:
        return None
    if consent.patient_id == viewer.id:
        return consent
    if viewer.role in STAFF_ROLES and may_see_patient(viewer, consent.patient_id):
        if record_view:  # the page view is the look; its signature image is part of it
            audit.record(
                "viewed_consent",
                actor_id=viewer.id,
                object_type="signed_consent",
                object_id=consent.id,
                patient_id=consent.patient_id,
                commit=True,
            )
        return consent
    return None
