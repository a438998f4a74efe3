"""The emailed forms link of one visit: made, checked, and a first password chosen through it
by a patient the desk created without one (the link proves they own the email)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update

from ..database import begin_write
from ..domain.accounts import password_problem
from ..extensions import db
from ..models import Appointment, User
from ..passwords import hash_password
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit
from .changes import load
from .users import AccountError

_SALT = "visit-forms"
PATH = "/forms/"  # the route of views/forms_link.py: services build links without Flask
MAX_TOKEN = 300


class LinkProblem(StrEnum):
    INVALID = "invalid"  # tampered, truncated, or not ours
    EXPIRED = "expired"  # older than INTAKE_FORMS_LINK_DAYS
    CLOSED = "closed"  # the visit is cancelled, declined, done, or has started


@dataclass(frozen=True)
class Opened:
    appointment: Appointment | None
    problem: LinkProblem | None = None


def token_for(appointment: Appointment, settings: ClinicSettings) -> str:
    return _serializer(settings).dumps({"a": appointment.id, "p": appointment.patient_id})


def link_for(appointment: Appointment, settings: ClinicSettings) -> str:
    return settings.base_url.rstrip("/") + PATH + token_for(appointment, settings)


def link_expires_at(appointment: Appointment, now: datetime, settings: ClinicSettings):
    """A link made now works until the visit starts or for the configured days, whichever
    comes first."""
    return min(appointment.starts_at, now + settings.forms_link_life)


def open_link(token: str, *, settings: ClinicSettings, now: datetime) -> Opened:
    """The visit a link was made for, or why it cannot be used. `now` decides the expiry,
    not the wall clock, so the rule reads the same in tests."""
    serializer = _serializer(settings)
    try:
        data, signed_at = serializer.loads(token[:MAX_TOKEN], return_timestamp=True)
    except BadSignature:
        return Opened(None, LinkProblem.INVALID)
    if not isinstance(data, dict) or not all(_an_id(data.get(k)) for k in ("a", "p")):
        return Opened(None, LinkProblem.INVALID)
    appointment = load(data["a"])
    if appointment is None or appointment.patient_id != data["p"]:
        return Opened(None, LinkProblem.INVALID)
    patient = appointment.patient
    if patient.role != Role.PATIENT or not patient.active:
        return Opened(None, LinkProblem.INVALID)
    if not appointment.holds_time or appointment.starts_at <= now:
        return Opened(appointment, LinkProblem.CLOSED)
    if now - signed_at.astimezone(UTC) > settings.forms_link_life:
        return Opened(appointment, LinkProblem.EXPIRED)
    return Opened(appointment)


def set_first_password(patient_id: int, password: str) -> User:
    """The password of an account the desk created without one, once: a second try (or an
    account that has one by now) is refused, so the link cannot take over a used account."""
    begin_write(db.session)
    patient = db.session.get(User, patient_id)
    if patient is None or patient.password_hash != "":
        db.session.rollback()
        raise AccountError("This account already has a password: please sign in.", "password")
    if problem := password_problem(password, patient.email or ""):
        db.session.rollback()
        raise AccountError(problem, "password")
    chosen = db.session.execute(
        update(User)
        .where(User.id == patient_id, User.password_hash == "")
        .values(password_hash=hash_password(password))
    )
    if chosen.rowcount != 1:
        db.session.rollback()
        raise AccountError("This account already has a password: please sign in.", "password")
    audit.record(
        "password_set_from_forms_link",
        actor_id=patient_id,
        object_type="user",
        object_id=patient_id,
    )
    db.session.commit()
    return db.session.get(User, patient_id, populate_existing=True)


def _an_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _serializer(settings: ClinicSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)
