"""The front desk's patients: search every patient (with or without visits), create one for a
caller, and what a patient record lists of their visits and callbacks."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..domain.accounts import normalise_email
from ..domain.patient_search import By, Criterion, parse
from ..extensions import db
from ..models import HOLDING_STATUSES, Appointment, Callback, CallbackStatus, Provider, User
from ..permissions import Role
from . import audit

PER_PAGE = 25
# Matches ix_users_role_name column for column: a page is read off the index.
LIST_ORDER = (User.last_name, User.first_name, User.id)


@dataclass(frozen=True)
class PatientRow:
    id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    born_on: date | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class PatientPage:
    rows: list[PatientRow]
    total: int
    page: int
    per_page: int
    criterion: Criterion

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _matching(criterion: Criterion):
    """The WHERE clause for one criterion; names match anywhere in a first or last name."""
    match criterion.by:
        case By.BORN_ON:
            return User.born_on == criterion.value
        case By.PHONE:
            return User.phone == criterion.value
        case By.PHONE_DIGITS:
            return User.phone.contains(criterion.value, autoescape=True)
        case By.EMAIL:
            return User.email.contains(criterion.value, autoescape=True)
        case By.NAME:
            return and_(
                *(
                    or_(
                        func.lower(User.first_name).contains(word, autoescape=True),
                        func.lower(User.last_name).contains(word, autoescape=True),
                    )
                    for word in criterion.value
                )
            )
    return None


def search(viewer: User, text: str | None, page: int, per_page: int = PER_PAGE) -> PatientPage:
    """Patients matching what was typed, by last then first name, a page at a time: two
    queries whatever their number. The look is audited with the count found, never the text
    (a name or a phone number is personal data)."""
    criterion = parse(text)
    where = [User.role == Role.PATIENT]
    if (clause := _matching(criterion)) is not None:
        where.append(clause)
    total = db.session.scalar(select(func.count(User.id)).where(*where))
    page = min(max(page, 1), max(1, -(-total // per_page)))
    rows = db.session.execute(
        select(User.id, User.first_name, User.last_name, User.email, User.phone, User.born_on)
        .where(*where)
        .order_by(*LIST_ORDER)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    audit.record(
        "searched_patients",
        actor_id=viewer.id,
        object_type="patients",
        detail={"by": criterion.by.value, "found": total},
        commit=True,
    )
    return PatientPage([PatientRow(*row) for row in rows], total, page, per_page, criterion)


# --- a new patient for a caller ---------------------------------------------------------


class EmailTaken(ValueError):
    """The email belongs to an account already: the desk opens that patient instead."""

    def __init__(self, user: User) -> None:
        super().__init__("An account with that email already exists.")
        self.user = user


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    born_on: date
    phone: str  # E.164
    email: str = ""


def same_name_and_birth(new: NewPatient) -> list[User]:
    """Patients who may be this caller already: same name (any case) and date of birth."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == Role.PATIENT,
                User.born_on == new.born_on,
                func.lower(User.first_name) == new.first_name.strip().lower(),
                func.lower(User.last_name) == new.last_name.strip().lower(),
            )
            .order_by(User.id)
            .limit(5)
        )
    )


def create_patient(actor: User, new: NewPatient, now: datetime) -> User:
    """A patient account with no password (they never sign in until they set one), audited,
    in one commit. EmailTaken when the email is an account's already."""
    email = normalise_email(new.email) if new.email else None
    if email is not None:
        taken = db.session.scalars(select(User).where(User.email == email)).first()
        if taken is not None:
            raise EmailTaken(taken)
    patient = User(
        email=email,
        password_hash="",
        role=Role.PATIENT,
        first_name=new.first_name.strip(),
        last_name=new.last_name.strip(),
        phone=new.phone,
        born_on=new.born_on,
        created_at=now,
    )
    db.session.add(patient)
    db.session.flush()
    audit.record(
        "created_patient",
        actor_id=actor.id,
        object_type="user",
        object_id=patient.id,
        patient_id=patient.id,
    )
    db.session.commit()
    return patient


# --- on the patient record ---------------------------------------------------------------


@dataclass(frozen=True)
class Visits:
    upcoming: list[Appointment]  # soonest first
    past: list[Appointment]  # newest first, cancelled and declined ones included


def visits_of(patient_id: int, now: datetime) -> Visits:
    """Every appointment of the patient with its provider, place and type: one query."""
    found = db.session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient_id)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        .options(
            joinedload(Appointment.provider).load_only(Provider.display_name),
            joinedload(Appointment.location),
            joinedload(Appointment.type),
        )
    ).all()
    upcoming = [a for a in found if a.starts_at >= now and a.status in HOLDING_STATUSES]
    past = [a for a in found if a not in upcoming]
    return Visits(list(reversed(upcoming)), past)


def callbacks_of(patient_id: int) -> list[Callback]:
    """Open first, then the newest closed ones."""
    return list(
        db.session.scalars(
            select(Callback)
            .where(Callback.patient_id == patient_id)
            .order_by((Callback.status == CallbackStatus.OPEN).desc(), Callback.opened_at.desc())
        )
    )
