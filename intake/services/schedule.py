"""A therapist's own day and week, marking visits done or missed, and reviewing precautions."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from ..database import read_columns
from ..domain.availability import Interval, day_bounds
from ..domain.screening import ScreeningLevel, ScreeningResult
from ..extensions import db
from ..models import (
    HOLDING_STATUSES,
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Location,
    NeedlingAddendum,
    NeedlingNote,
    Provider,
    User,
)
from ..settings import ClinicSettings
from . import audit, changes
from .changes import Change
from .errors import ScheduleError
from .public_cache import PublicProvider
from .queue import Flag, Tone

VIEWS = ("day", "week")
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
# Cancelled and declined requests no longer take the therapist's time: hidden unless asked for.
SHOWN = (*HOLDING_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
HIDDEN = tuple(status for status in AppointmentStatus if status not in SHOWN)
OUTCOMES = {"completed": AppointmentStatus.COMPLETED, "no_show": AppointmentStatus.NO_SHOW}
REVIEW_OUTCOMES = {"cleared": "Cleared", "not_suitable": "Not suitable"}
# What each screening level means for the therapist, in words (colour only supports them).
LEVEL_WORDS = {
    ScreeningLevel.ABSOLUTE: "Not for online booking",
    ScreeningLevel.RED_FLAG: "Red flag: urgent",
    ScreeningLevel.AREA_SPECIFIC: "Do not needle this area",
    ScreeningLevel.PRECAUTION: "Precaution",
}


__all__ = ["ScheduleError"]  # working_time's refusals are schedule errors too


@dataclass(frozen=True)
class Window:
    """The days one schedule page covers, in one zone."""

    view: str  # day | week
    day: date  # the day asked for
    zone: str

    @property
    def first_day(self) -> date:
        return self.day if self.view == "day" else self.day - timedelta(days=self.day.weekday())

    @property
    def days(self) -> list[date]:
        length = 1 if self.view == "day" else 7
        return [self.first_day + timedelta(days=n) for n in range(length)]

    @property
    def span(self) -> Interval:
        return Interval(
            day_bounds(self.days[0], self.zone).start, day_bounds(self.days[-1], self.zone).end
        )

    @property
    def previous(self) -> date:
        return self.first_day - timedelta(days=len(self.days))

    @property
    def next(self) -> date:
        return self.first_day + timedelta(days=len(self.days))


def provider_for(user: User) -> Provider | None:
    """The signed-in therapist's profile with its locations (the page's zone comes from them),
    in one statement: a therapist works at a few locations, so joining them repeats the
    provider's columns a few times, where a second statement cost more."""
    return db.session.scalars(_provider_query(), {"user_id": user.id}).unique().one_or_none()


@cache
def _provider_query() -> Select:
    return (
        select(Provider)
        .where(Provider.user_id == bindparam("user_id"))
        .options(joinedload(Provider.locations))
    )


def zone_of(provider: Provider | PublicProvider, clinic_zone: str) -> str:
    if provider.locations:
        return provider.locations[0].timezone
    return clinic_zone


def window(
    provider: Provider | PublicProvider,
    view: str | None,
    day: str | None,
    now: datetime,
    clinic_zone: str,
) -> Window:
    """What the page asked for; anything unreadable falls back to this week."""
    zone = zone_of(provider, clinic_zone)
    try:
        chosen = date.fromisoformat((day or "")[:10])
    except ValueError:
        chosen = None
    # The ends of the calendar would overflow the previous and next links.
    if chosen is None or not FIRST_DAY <= chosen <= LAST_DAY:
        chosen = now.astimezone(ZoneInfo(zone)).date()
    return Window(view if view in VIEWS else "week", chosen, zone)


@dataclass(frozen=True, slots=True)
class NoteSummary:
    """What a card says of a signed session note: no free text."""

    regions: list[str]
    needle_count: int
    tolerance: str
    events: list[str]  # the adverse events' kinds, in the order recorded
    addenda: int


@dataclass(frozen=True, slots=True)
class Visit:
    """One appointment as the day and week show it: the columns its card needs, read as
    values (40 visits as entities with five relationships cost more than the rest of the
    page). `flags`, `may_mark` and `needs_note` below take it as they take an Appointment."""

    id: int
    status: AppointmentStatus
    starts_at: datetime
    ends_at: datetime
    revision: int
    patient_id: int
    patient_name: str
    type_name: str
    involves_dry_needling: bool
    location_name: str
    consent_id: int | None
    urgent: bool
    needs_review: bool
    review_outcome: str | None
    note: NoteSummary | None = None


def appointments_in(
    provider: Provider | PublicProvider, page: Window, include_closed: bool = False
) -> dict[date, list[Visit]]:
    """The provider's appointments by local day, each with its note's summary: the visits
    with their notes in one query, the notes' events in a second when there are notes."""
    found = read_columns(
        db.session,
        _visits_query(include_closed),
        {"provider_id": provider.id, "start": page.span.start, "end": page.span.end},
    ).all()
    events = _events_of([row.note_id for row in found if row.note_id is not None])
    tz = ZoneInfo(page.zone)
    grouped: dict[date, list[Visit]] = {}
    # Unpacked in _visits_query's column order: reading a Row's columns by name cost ~0.5 µs
    # each, ~0.3 ms for a busy week. The columns from type_name to review_outcome are Visit's
    # fields in order; the note's come last.
    for row in found:
        visit_id, status, starts_at, ends_at, revision, patient_id, first, last, *rest = row
        *fields, note_id, regions, needle_count, tolerance, addenda = rest
        note = None
        if note_id is not None:
            note = NoteSummary(regions, needle_count, tolerance, events.get(note_id, []), addenda)
        visit = Visit(
            visit_id,
            status,
            starts_at,
            ends_at,
            revision,
            patient_id,
            f"{first} {last}",
            *fields,
            note,
        )
        grouped.setdefault(starts_at.astimezone(tz).date(), []).append(visit)
    return grouped


@cache  # built once each: constructing a 20-column select costs more than running it
def _visits_query(include_closed: bool) -> Select:
    """A note is signed once per visit (appointment_id is unique), so the outer join keeps
    one row a visit. The shown statuses are left out by inequality, not an IN list: an
    expanding list is rendered again on every execution."""
    addenda = (
        select(func.count(NeedlingAddendum.id))
        .where(NeedlingAddendum.note_id == NeedlingNote.id)
        .scalar_subquery()
    )
    query = (
        select(
            Appointment.id,
            Appointment.status,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.revision,
            Appointment.patient_id,
            User.first_name,
            User.last_name,
            AppointmentType.name.label("type_name"),
            AppointmentType.involves_dry_needling,
            Location.name.label("location_name"),
            Appointment.consent_id,
            Appointment.urgent,
            Appointment.needs_review,
            Appointment.review_outcome,
            NeedlingNote.id.label("note_id"),
            NeedlingNote.regions,
            NeedlingNote.needle_count,
            NeedlingNote.tolerance,
            addenda.label("addenda"),
        )
        .join(User, User.id == Appointment.patient_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .join(Location, Location.id == Appointment.location_id)
        .outerjoin(NeedlingNote, NeedlingNote.appointment_id == Appointment.id)
        .where(
            Appointment.provider_id == bindparam("provider_id"),
            # A visit belongs to the day it starts on.
            Appointment.starts_at >= bindparam("start"),
            Appointment.starts_at < bindparam("end"),
        )
        .order_by(Appointment.starts_at)
    )
    if include_closed:
        return query
    return query.where(*(Appointment.status != hidden for hidden in HIDDEN))


def _events_of(note_ids: list[int]) -> dict[int, list[str]]:
    """The adverse events' kinds of these notes, by note id, in the order recorded."""
    if not note_ids:
        return {}
    events: dict[int, list[str]] = {}
    for note_id, kind in read_columns(
        db.session,
        select(AdverseEvent.note_id, AdverseEvent.kind)
        .where(AdverseEvent.note_id.in_(note_ids))
        .order_by(AdverseEvent.id),
    ):
        events.setdefault(note_id, []).append(kind)
    return events


def flags(appointment: Appointment | Visit) -> list[Flag]:
    """Screening flags in words, each with how much it asks for attention."""
    found = []
    if appointment.urgent:
        found.append(Flag("Urgent", Tone.DANGER))
    if appointment.review_outcome == "not_suitable":
        found.append(Flag("Not suitable", Tone.DANGER))
    elif appointment.review_outcome == "cleared":
        found.append(Flag("Cleared", Tone.OK))
    elif appointment.needs_review:
        found.append(Flag("Review needed", Tone.WARN))
    return found


def may_mark(appointment: Appointment | Visit, now: datetime) -> bool:
    return appointment.status == AppointmentStatus.CONFIRMED and appointment.starts_at <= now


def needs_note(appointment: Appointment | Visit) -> bool:
    """A dry-needling visit is completed only with its signed session note."""
    if isinstance(appointment, Visit):
        return appointment.involves_dry_needling
    return appointment.type.involves_dry_needling


def require_markable(appointment: Appointment, now: datetime) -> None:
    if appointment.status != AppointmentStatus.CONFIRMED:
        raise ScheduleError("Only a confirmed appointment can be marked completed or a no-show.")
    if appointment.starts_at > now:
        raise ScheduleError("An appointment can be marked only once its start time has passed.")


def own_appointment(provider: Provider, appointment_id: int) -> Appointment | None:
    """One of the provider's appointments; another therapist's reads as missing."""
    appointment = changes.load(appointment_id)
    if appointment is None or appointment.provider_id != provider.id:
        return None
    return appointment


def mark(
    provider: Provider,
    actor: User,
    appointment_id: int,
    seen_revision: int,
    outcome: str,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """Completed or no-show, once the visit has started. LookupError when not theirs;
    ChangedMeanwhile when someone changed it after the page was loaded."""
    if own_appointment(provider, appointment_id) is None or outcome not in OUTCOMES:
        raise LookupError(appointment_id)
    with changes.opened(appointment_id, seen_revision) as appointment:
        require_markable(appointment, now)
        if outcome == "completed" and needs_note(appointment):
            raise ScheduleError(
                "A dry-needling visit is completed by signing its session note: "
                "open the visit's note, fill it in and sign it."
            )
        marked = Change(outcome, OUTCOMES[outcome], audit=("status_changed",))
        return changes.commit(appointment, marked, actor, settings=settings, now=now)


def findings(appointment: Appointment) -> ScreeningResult:
    snapshot = appointment.screening_snapshot or {}
    return ScreeningResult.from_dict(snapshot) if "findings" in snapshot else ScreeningResult(())


def record_view(actor: User, appointment: Appointment) -> None:
    """Reading the screening findings is a look at health data: audited."""
    audit.record(
        "viewed_screening",
        actor_id=actor.id,
        object_type="appointment",
        object_id=appointment.id,
        patient_id=appointment.patient_id,
        commit=True,
    )


def review(
    provider: Provider,
    actor: User,
    appointment_id: int,
    seen_revision: int,
    outcome: str,
    note: str,
    *,
    settings: ClinicSettings,
    now: datetime,
) -> Appointment:
    """Record the therapist's decision on the precautions; the status stays as it is, for the
    front desk to confirm or decline."""
    note = note.strip()
    if own_appointment(provider, appointment_id) is None:
        raise LookupError(appointment_id)
    if outcome not in REVIEW_OUTCOMES:
        raise ScheduleError("Please choose cleared or not suitable.")
    if not note:
        raise ScheduleError("Please write a note explaining your decision.")
    with changes.opened(appointment_id, seen_revision) as appointment:
        changes.require_status(appointment, HOLDING_STATUSES, "reviewed")
        reviewed = Change(
            "reviewed",
            values={
                "review_outcome": outcome,
                "reviewed_by_id": actor.id,
                "reviewed_at": now,
                "review_note": note[:1000],
            },
            detail=REVIEW_OUTCOMES[outcome],
            audit=("reviewed",),
        )
        return changes.commit(appointment, reviewed, actor, settings=settings, now=now)
