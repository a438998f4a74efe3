"""Reading the audit trail: filter, page and export it, in a fixed number of queries."""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import aliased

from ..domain.accounts import InvalidEmail, normalise_email
from ..domain.ids import parse_id
from ..extensions import db
from ..models import AuditEvent, User
from . import audit

PAGE_SIZE = 50
# What each action means, in the words of the filter; actions found in the table are added.
ACTIONS = {
    "added_addendum": "Added an addendum to a session note",
    "added_note": "Added a note to a request",
    "admin_change": "Administration change",
    "changed_feed_token": "Renewed a calendar feed link",
    "changed_hours": "Changed working hours",
    "changed_time_off": "Changed time off",
    "booked_for_patient": "Booked a visit for a patient after a callback",
    "book_for_patient_refused": "Booking for a patient refused by a safety check",
    "closed_callback": "Closed a callback",
    "exported_csv": "Exported a CSV file",
    "login_failed": "Failed sign-in",
    "logged_call": "Logged a call to a patient",
    "login_succeeded": "Signed in",
    "password_changed": "Changed their password",
    "password_reset": "Reset a forgotten password",
    "confirm_refused": "Confirming refused by a safety check",
    "move_refused": "Moving refused by a safety check",
    "review_overridden": "Overrode the therapist review",
    "safety_overridden": "Overrode a safety check",
    "reviewed": "Therapist review",
    "signed_note": "Signed a session note",
    "status_changed": "Appointment status changed",
    "viewed_calendar": "Viewed the clinic calendar",
    "viewed_callback": "Viewed a callback",
    "viewed_callbacks": "Viewed the callback list",
    "viewed_consent": "Viewed a signed consent",
    "viewed_intake": "Viewed an intake",
    "viewed_note": "Viewed a session note",
    "viewed_patient": "Viewed a patient record",
    "viewed_request": "Viewed a request",
    "viewed_screening": "Viewed screening findings",
}
CSV_HEADER = (
    "at_utc",
    "action",
    "actor_id",
    "actor_name",
    "actor_email",
    "object_type",
    "object_id",
    "patient_id",
    "patient_name",
    "ip_address",
    "detail",
)


@dataclass(frozen=True)
class AuditFilters:
    patient: str = ""  # a patient's number or email
    actor: str = ""  # a staff member's email
    action: str = ""
    since: date | None = None  # clinic dates, both ends included
    until: date | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list
    total: int
    page: int
    pages: int


def action_choices() -> list[tuple[str, str]]:
    found = db.session.scalars(select(AuditEvent.action).distinct()).all()
    known = ACTIONS | {a: a.replace("_", " ").capitalize() for a in found if a not in ACTIONS}
    return sorted(known.items(), key=lambda item: item[1])


def _email(text: str) -> str:
    try:
        return normalise_email(text)
    except InvalidEmail:
        return text.strip().lower()


def _user_ids(email: str):
    return select(User.id).where(User.email == _email(email)).scalar_subquery()


def _conditions(filters: AuditFilters, zone: str) -> list:
    where = []
    patient = filters.patient.strip()
    if patient.isascii() and patient.isdigit():
        # A number past the id column names no one (and would overflow the query).
        patient_id = parse_id(patient)
        where.append(AuditEvent.patient_id == patient_id if patient_id else false())
    elif patient:
        where.append(AuditEvent.patient_id.in_(_user_ids(filters.patient)))
    if filters.actor.strip():
        where.append(AuditEvent.actor_id.in_(_user_ids(filters.actor)))
    if filters.action:
        where.append(AuditEvent.action == filters.action)
    if filters.since:
        where.append(AuditEvent.at >= _start_of(filters.since, zone))
    if filters.until:
        where.append(AuditEvent.at < _start_of(filters.until + timedelta(days=1), zone))
    return where


def _start_of(day: date, zone: str) -> datetime:
    """Midnight at the clinic on that day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _rows(filters: AuditFilters, zone: str) -> Select:
    """One statement: each event with its actor's and patient's names, newest first."""
    actor, patient = aliased(User), aliased(User)
    return (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.action,
            AuditEvent.actor_id,
            (actor.first_name + " " + actor.last_name).label("actor_name"),
            actor.email.label("actor_email"),
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.patient_id,
            (patient.first_name + " " + patient.last_name).label("patient_name"),
            AuditEvent.ip_address,
            AuditEvent.detail,
        )
        .outerjoin(actor, AuditEvent.actor_id == actor.id)
        .outerjoin(patient, AuditEvent.patient_id == patient.id)
        .where(*_conditions(filters, zone))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def audit_page(filters: AuditFilters, page: int, zone: str) -> AuditPage:
    """Two queries whatever the page size: the count and the page itself."""
    total = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(*_conditions(filters, zone))
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        _rows(filters, zone).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return AuditPage(rows=rows, total=total, page=page, pages=pages)


def record_export(actor: User) -> None:
    """The file names patients: taking a copy away is itself on record."""
    audit.record("exported_csv", actor_id=actor.id, object_type="audit_events", commit=True)


def csv_rows(filters: AuditFilters, zone: str) -> Iterator[tuple]:
    """Every matching event, read from the database in batches."""
    result = db.session.execute(_rows(filters, zone).execution_options(yield_per=500))
    for row in result:
        yield (
            row.at.astimezone(UTC).isoformat(timespec="seconds"),
            row.action,
            row.actor_id,
            row.actor_name,
            row.actor_email,
            row.object_type,
            row.object_id,
            row.patient_id,
            row.patient_name,
            row.ip_address,
            json.dumps(row.detail, sort_keys=True, ensure_ascii=False) if row.detail else "",
        )


def detail_lines(detail: dict | None) -> list[str]:
    """An event's detail as lines people read: the override's reason, each failed check."""
    if not detail:
        return []
    lines = []
    for key, value in sorted(detail.items()):
        if key == "failed_checks" and isinstance(value, list):
            lines += [_failed_check(item) for item in value]
        elif key == "override_reason":
            lines.append(f"Reason given: {value}")
        else:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"{key.replace('_', ' ').capitalize()}: {shown}")
    return lines


def _failed_check(item) -> str:
    if isinstance(item, dict):
        return f"Failed check ({item.get('check', '?')}): {item.get('reason', '')}"
    return f"Failed check: {item}"
