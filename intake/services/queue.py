"""The front desk's request queue: filters, search, one page of rows in a fixed few queries."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import NamedTuple

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased, defer, joinedload

from ..database import in_ids, read_columns
from ..domain.availability import day_bounds
from ..domain.business_hours import waited_too_long, waited_words
from ..domain.consent import ConsentState, consent_state
from ..domain.patient_search import name_words
from ..domain.patients import age_on
from ..domain.screening import ScreeningLevel
from ..extensions import db
from ..formatting import local_datetime
from ..models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ConsentVersion,
    ConsentWithdrawal,
    Intake,
    Location,
    Provider,
    SignedConsent,
    User,
)
from .callbacks import open_urgent_count_column
from .consents import current_version, current_version_id_column, state_of

PER_PAGE = 50
MAX_SEARCH_WORDS = 5
# Only digits and the punctuation people type in phone numbers: "(919) 555-0142", "+1 919 ..."
_PHONE_LIKE = re.compile(r"[\d\s().+-]+")
MIN_PHONE_DIGITS = 4


@dataclass(frozen=True)
class QueueFilters:
    provider_id: int | None = None
    location_id: int | None = None
    status: str | None = "requested"  # None means every status
    first_day: date | None = None  # on the appointment's start, local to the clinic
    last_day: date | None = None
    needs_review: bool = False
    q: str = ""


class Tone(StrEnum):
    """How much a flag or status asks for attention; templates choose its colour."""

    OK = "ok"
    WARN = "warn"
    DANGER = "danger"


@dataclass(frozen=True)
class Flag:
    label: str  # says it in words: the tone only supports it
    tone: Tone


@dataclass(frozen=True)
class ConsentStatus:
    state: ConsentState | None  # None: the patient never signed one
    label: str
    tone: Tone
    consent: SignedConsent | None = None  # the queue's rows read only its id
    consent_id: int | None = None


class QueueRow(NamedTuple):
    """One request as the queue shows it: plain values read from the columns it needs, not
    whole entities (loading 50 appointments with four relationships cost more than the SQL).
    A tuple, so that the page unpacks each row into names: read as attributes, 50 rows cost
    some 1,400 lookups through Jinja's getattr. A frozen dataclass cost 2.4 µs a row to make
    (each field set through object.__setattr__), a tuple 1.0 µs."""

    id: int
    status: AppointmentStatus
    urgent: bool
    starts_at: datetime
    created_at: datetime
    zone: str  # the location's
    patient_name: str
    legal_name: str | None  # from the current intake; None without one
    age: int | None
    provider: str
    location: str
    type: str
    consent: ConsentStatus
    flags: list[Flag]
    waited: str = ""  # an urgent request still waiting: how long, on the clock
    overdue: bool = False  # ... and over the clinic's limit in working hours


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    per_page: int
    urgent_callbacks: int = 0  # open ones, shown above the queue: counted with its total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- reading the queue ---------------------------------------------------------------


def queue_page(
    filters: QueueFilters,
    page: int,
    zone: str,
    now: datetime,
    max_age: timedelta,
    per_page: int = PER_PAGE,
    urgent_limit_hours: float = 2,
) -> QueuePage:
    """Urgent first, then oldest first. Three queries whatever the page size or the number
    of requests: the page's ids (with the count of all that match and of the open urgent
    callbacks), their rows (with the patients' current intakes), their consents (with the
    current consent version's id). A page without rows, empty or past the end of the queue,
    counts on its own and then reads the last page."""
    page = max(page, 1)
    listed = read_columns(db.session, page_of_ids(filters, zone, page, per_page)).all()
    if listed:
        total, urgent_callbacks = listed[0][1], listed[0][2]
    else:
        total, urgent_callbacks = read_columns(db.session, count_query(filters, zone)).one()
        page = min(page, max(1, -(-total // per_page)))
        if total:
            listed = read_columns(db.session, page_of_ids(filters, zone, page, per_page)).all()
    found = _rows_of([appointment_id for appointment_id, *_ in listed])
    consents = consent_looks({a.patient_id for a in found}, now, max_age)
    today = local_datetime(now, zone).date()
    rows = []
    # Unpacked in _rows_query's column order: reading a Row's columns by name cost ~0.5 µs
    # each, ~0.5 ms for a page's 50 rows.
    for (
        appointment_id,
        patient_id,
        status,
        urgent,
        needs_review,
        review_outcome,
        snapshot,
        starts_at,
        created_at,
        first_name,
        last_name,
        provider,
        location,
        location_zone,
        type_name,
        intake_id,
        legal_first_name,
        legal_last_name,
        born_on,
    ) in found:
        has_intake = intake_id is not None
        rows.append(
            QueueRow(
                appointment_id,
                status,
                urgent,
                starts_at,
                created_at,
                location_zone,
                f"{first_name} {last_name}",
                f"{legal_first_name} {legal_last_name}" if has_intake else None,
                age_on(born_on, today) if has_intake else None,
                provider,
                location,
                type_name,
                consents[patient_id],
                _flags(urgent, snapshot, needs_review, review_outcome),
                *_wait(urgent, status, created_at, now, zone, urgent_limit_hours),
            )
        )
    return QueuePage(rows, total, page, per_page, urgent_callbacks)


def _wait(urgent: bool, status, since: datetime, now: datetime, zone: str, limit_hours: float):
    """How long an urgent request has waited for the desk, and whether too long."""
    if not urgent or status != AppointmentStatus.REQUESTED:
        return "", False
    return waited_words(since, now), waited_too_long(since, now, zone, limit_hours)


# Matches ix_appointments_queue (and ix_appointments_queue_any_status) column for column.
QUEUE_ORDER = (Appointment.urgent.desc(), Appointment.created_at, Appointment.id)


def count_query(filters: QueueFilters, zone: str) -> Select:
    """How many requests match, and how many urgent callbacks are open, in one statement."""
    return _kept_unless_searched(_count_query, _kept_count_query, filters, zone)


def _count_query(filters: QueueFilters, zone: str) -> Select:
    return select(*_counts(filters, zone))


def _counts(filters: QueueFilters, zone: str) -> tuple:
    """How many requests match and how many urgent callbacks are open, as two columns that
    any statement can carry. Not correlated with an enclosing FROM: counted once."""
    matching = _filtered(select(func.count()).select_from(Appointment), filters, zone)
    return matching.correlate(None).scalar_subquery(), open_urgent_count_column()


def page_of_ids(filters: QueueFilters, zone: str, page: int, per_page: int = PER_PAGE) -> Select:
    """The page's appointment ids in queue order, each with the counts of `count_query` (one
    statement fewer). Ids first: the index answers in its order, `per_page` entries whatever
    the queue's length; joining first sorts every match."""
    return _kept_unless_searched(_page_of_ids, _kept_page_of_ids, filters, zone, page, per_page)


def _page_of_ids(filters: QueueFilters, zone: str, page: int, per_page: int) -> Select:
    return (
        _filtered(select(Appointment.id, *_counts(filters, zone)), filters, zone)
        .order_by(*QUEUE_ORDER)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


# The statements of the filters without a search, kept (a select is immutable): building one
# and computing its cache key cost more than SQLite running it. A day filter's bounds are
# fixed by its date and zone, so a kept statement never goes stale.
_kept_count_query = lru_cache(maxsize=256)(_count_query)
_kept_page_of_ids = lru_cache(maxsize=256)(_page_of_ids)


def _kept_unless_searched(build, kept, filters: QueueFilters, *args) -> Select:
    # A search's statement is never kept: what was typed in the box is a patient's name.
    return build(filters, *args) if filters.q else kept(filters, *args)


@cache  # built once: constructing a 19-column select costs more than running it
def _rows_query() -> Select:
    return (
        select(
            Appointment.id,
            Appointment.patient_id,
            Appointment.status,
            Appointment.urgent,
            Appointment.needs_review,
            Appointment.review_outcome,
            Appointment.screening_snapshot,
            Appointment.starts_at,
            Appointment.created_at,
            User.first_name,
            User.last_name,
            Provider.display_name,
            Location.name.label("location_name"),
            Location.timezone,
            AppointmentType.name.label("type_name"),
            Intake.id.label("intake_id"),
            Intake.legal_first_name,
            Intake.legal_last_name,
            Intake.born_on,
        )
        .join(User, User.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(Location, Location.id == Appointment.location_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        # A patient has one current intake at most (a unique partial index holds it).
        .outerjoin(
            Intake,
            and_(Intake.patient_id == Appointment.patient_id, Intake.superseded_at.is_(None)),
        )
        .where(in_ids(Appointment.id, "ids"))
    )


def _rows_of(ids: list[int]) -> list:
    """The appointments with these ids, in this order, with who, where and what, and the
    patient's current intake: the columns a row shows, each join to one row at most."""
    if not ids:
        return []
    found = read_columns(db.session, _rows_query(), {"ids": ids}).all()  # one fetch, not 50
    by_id = {a.id: a for a in found}
    return [by_id[i] for i in ids if i in by_id]


def _filtered(query, filters: QueueFilters, zone: str):
    conditions = []
    if filters.provider_id is not None:
        conditions.append(Appointment.provider_id == filters.provider_id)
    if filters.location_id is not None:
        conditions.append(Appointment.location_id == filters.location_id)
    if filters.status is not None:
        conditions.append(Appointment.status == filters.status)
    if filters.first_day is not None:
        conditions.append(Appointment.starts_at >= day_bounds(filters.first_day, zone).start)
    if filters.last_day is not None:
        conditions.append(Appointment.starts_at < day_bounds(filters.last_day, zone).end)
    if filters.needs_review:
        conditions += [Appointment.needs_review.is_(True), Appointment.review_outcome.is_(None)]
    query = query.where(*conditions)
    return _searched(query, filters.q) if filters.q else query


def _searched(query, q: str):
    """Name (account or legal, every word must match), email, or phone digits."""
    patient = aliased(User)
    intake = aliased(Intake)
    query = query.join(patient, patient.id == Appointment.patient_id).outerjoin(
        intake, and_(intake.patient_id == Appointment.patient_id, intake.superseded_at.is_(None))
    )
    digits = re.sub(r"\D", "", q)
    if _PHONE_LIKE.fullmatch(q) and len(digits) >= MIN_PHONE_DIGITS:
        return query.where(intake.phone.contains(digits, autoescape=True))
    for word in name_words(q, MAX_SEARCH_WORDS):
        query = query.where(
            or_(
                *(
                    column.icontains(word, autoescape=True)
                    for column in (
                        patient.first_name,
                        patient.last_name,
                        patient.email,
                        intake.legal_first_name,
                        intake.legal_last_name,
                    )
                )
            )
        )
    return query


_CONSENT_LOOKS = {
    ConsentState.VALID: ("Signed v{label}", Tone.OK),
    ConsentState.EXPIRED: ("Expired (v{label})", Tone.DANGER),
    ConsentState.WITHDRAWN: ("Withdrawn (v{label})", Tone.DANGER),
    ConsentState.SUPERSEDED: ("Older version (v{label})", Tone.WARN),
}
MISSING_CONSENT = ConsentStatus(None, "Missing", Tone.DANGER)


def consent_statuses(patient_ids, now: datetime, max_age: timedelta) -> dict[int, ConsentStatus]:
    """Each patient's consent that counts (else their newest), in two queries for all."""
    statuses = dict.fromkeys(patient_ids, MISSING_CONSENT)
    if not patient_ids:
        return statuses
    version = current_version()
    current_id = version.id if version else None
    signed = db.session.scalars(
        select(SignedConsent)
        .where(SignedConsent.patient_id.in_(patient_ids))
        .options(
            defer(SignedConsent.signature_png),  # the image is for the signed copy only
            joinedload(SignedConsent.version).load_only(ConsentVersion.label),
            joinedload(SignedConsent.withdrawal),
        )
        .order_by(SignedConsent.signed_at.desc(), SignedConsent.id.desc())
    ).unique()
    for consent in signed:
        state = state_of(consent, current_id, now, max_age)
        shown = statuses[consent.patient_id]
        if shown.state is None or (state is ConsentState.VALID and shown.state is not state):
            text, tone = _CONSENT_LOOKS[state]
            statuses[consent.patient_id] = ConsentStatus(
                state, text.format(label=consent.version.label), tone, consent, consent.id
            )
    return statuses


@cache
def _consents_query() -> Select:
    return (
        select(
            SignedConsent.id,
            SignedConsent.patient_id,
            SignedConsent.version_id,
            SignedConsent.signed_at,
            ConsentVersion.label,
            ConsentWithdrawal.id.is_not(None).label("withdrawn"),
            # Read with the consents, in the same statement: an admin may publish a new
            # version at any moment, so it is never remembered between requests.
            current_version_id_column().label("current_version_id"),
        )
        .join(ConsentVersion, ConsentVersion.id == SignedConsent.version_id)
        .outerjoin(ConsentWithdrawal, ConsentWithdrawal.consent_id == SignedConsent.id)
        .where(in_ids(SignedConsent.patient_id, "ids"))
        .order_by(SignedConsent.signed_at.desc(), SignedConsent.id.desc())
    )


def consent_looks(patient_ids, now: datetime, max_age: timedelta) -> dict[int, ConsentStatus]:
    """`consent_statuses` for the queue's rows: the same words from a few columns of each
    consent (its id for the link), not the entities with their version and withdrawal; the
    current version's id comes in the same statement."""
    statuses = dict.fromkeys(patient_ids, MISSING_CONSENT)
    if not patient_ids:
        return statuses
    signed = read_columns(db.session, _consents_query(), {"ids": list(patient_ids)}).all()
    # Unpacked in _consents_query's column order (see queue_page).
    for consent_id, patient_id, version_id, signed_at, label, withdrawn, current_id in signed:
        state = consent_state(
            signed_at=signed_at,
            version_id=version_id,
            current_version_id=current_id,
            withdrawn=bool(withdrawn),
            now=now,
            max_age=max_age,
        )
        shown = statuses[patient_id]
        if shown.state is None or (state is ConsentState.VALID and shown.state is not state):
            text, tone = _CONSENT_LOOKS[state]
            statuses[patient_id] = ConsentStatus(
                state, text.format(label=label), tone, consent_id=consent_id
            )
    return statuses


def flags_of(appointment) -> list[Flag]:
    """An appointment's flags; any object with its columns will do."""
    return _flags(
        appointment.urgent,
        appointment.screening_snapshot,
        appointment.needs_review,
        appointment.review_outcome,
    )


URGENT_FLAG = Flag("Urgent", Tone.DANGER)
ABSOLUTE_FLAG = Flag("Absolute", Tone.DANGER)
REVIEW_FLAGS = {
    None: Flag("Review needed", Tone.WARN),
    "cleared": Flag("Review: cleared", Tone.OK),
    "not_suitable": Flag("Review: not suitable", Tone.DANGER),
}


def _flags(urgent: bool, snapshot, needs_review: bool, review_outcome: str | None) -> list[Flag]:
    flags = []
    if urgent:
        flags.append(URGENT_FLAG)
    levels = {f.get("level") for f in (snapshot or {}).get("findings", [])}
    if ScreeningLevel.ABSOLUTE in levels:
        flags.append(ABSOLUTE_FLAG)
    if needs_review:
        flags.append(REVIEW_FLAGS.get(review_outcome, REVIEW_FLAGS[None]))
    return flags


# --- choices for the filters and the move page ------------------------------------------


def providers() -> list[Provider]:
    return list(
        db.session.scalars(
            select(Provider).options(joinedload(Provider.locations)).order_by(Provider.display_name)
        ).unique()
    )
