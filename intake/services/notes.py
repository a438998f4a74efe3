"""Needling session notes: signing one completes the visit in the same commit; addenda correct
a signed note without touching it; every staff look at a note is audited."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..database import begin_write
from ..domain import needling
from ..extensions import db
from ..models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    NeedlingAddendum,
    NeedlingNote,
    Provider,
    User,
)
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit, callbacks, changes, notifications
from .changes import Change
from .errors import ScheduleError
from .schedule import needs_note, own_appointment, require_markable

MAX_ADDENDUM = 2000
_REGION_KEYS = frozenset(choice.value for choice in needling.REGIONS)


@dataclass(frozen=True)
class NoteEntry:
    """The note as the therapist filled it in."""

    regions: list[str]
    needle_count: int
    tolerance: str
    twitch_response: bool
    events: list[str]  # as ticked, "none" included
    other_event: str
    aftercare: str


def entry_problem(entry: NoteEntry) -> str | None:
    """The first thing wrong with a note, in words (the form says it field by field first)."""
    if not entry.regions or not set(entry.regions) <= _REGION_KEYS:
        return "Tick the regions needled."
    if not 0 <= entry.needle_count <= needling.MAX_NEEDLES:
        return f"The number of needles is from 0 to {needling.MAX_NEEDLES}."
    if entry.tolerance not in set(needling.Tolerance):
        return "Choose the patient's tolerance."
    if not entry.aftercare.strip():
        return "Write the aftercare given."
    return needling.events_problem(entry.events, entry.other_event)


@dataclass(frozen=True)
class Alerting:
    """What a serious event, at signing or in an addendum, needs to reach people: the
    clinic's settings and the links the admins' alert and the front desk's email carry."""

    settings: ClinicSettings
    visit_link: str
    task_link: Callable[[int], str] | None = None


def sign(
    provider: Provider,
    actor: User,
    appointment_id: int,
    seen_revision: int,
    entry: NoteEntry,
    *,
    alerting: Alerting,
    now: datetime,
) -> Appointment:
    """Sign the note and mark the visit completed, in one commit through the one write path;
    a serious adverse event queues the admins' alert and opens the front desk's urgent callback
    in that same commit. LookupError when the visit is not the therapist's; ScheduleError when
    it cannot be completed now."""
    if own_appointment(provider, appointment_id) is None:
        raise LookupError(appointment_id)
    if problem := entry_problem(entry):
        raise ScheduleError(problem)
    with changes.opened(appointment_id, seen_revision) as appointment:
        require_markable(appointment, now)
        if not needs_note(appointment):
            raise ScheduleError("This visit involves no dry needling: mark it on the schedule.")
        kinds = needling.recorded_events(entry.events)
        follow_up = _follow_up(appointment, kinds, alerting, now)
        db.session.add(
            NeedlingNote(
                appointment_id=appointment.id,
                therapist_id=provider.user_id,
                regions=[c.value for c in needling.REGIONS if c.value in set(entry.regions)],
                needle_count=entry.needle_count,
                tolerance=entry.tolerance,
                twitch_response=entry.twitch_response,
                other_event=entry.other_event.strip()[:500],
                aftercare=entry.aftercare.strip(),
                signed_at=now,
                signed_by_id=actor.id,
                events=_adverse_events(appointment, kinds, follow_up),
            )
        )
        completed = Change(
            "completed",
            AppointmentStatus.COMPLETED,
            detail="Session note signed",
            audit=("status_changed", "signed_note"),
        )
        return changes.commit(appointment, completed, actor, settings=alerting.settings, now=now)


def _follow_up(
    appointment: Appointment, kinds: list[str], alerting: Alerting, now: datetime
) -> int | None:
    """For serious events: the admins' alert, and the id of the urgent callback the front desk
    follows them up in; None when nothing recorded is serious."""
    alarming = needling.serious(kinds)
    if not alarming:
        return None
    notifications.alert_serious_event(
        appointment, alarming, alerting.visit_link, settings=alerting.settings
    )
    callback = callbacks.open_for_adverse_events(
        appointment, alarming, now, settings=alerting.settings, task_link=alerting.task_link
    )
    return callback.id


def may_write(viewer: User, appointment: Appointment) -> bool:
    """The visit's own therapist, or an admin."""
    return viewer.role == Role.ADMIN or appointment.provider.user_id == viewer.id


def add_addendum(
    actor: User,
    appointment_id: int,
    text: str,
    *,
    now: datetime,
    events: list[str] | tuple = (),
    alerting: Alerting | None = None,
) -> Appointment:
    """An addendum to the visit's signed note, with its history line and audit row, in one
    commit; adverse events it reports are recorded on the note, and a serious one alerts the
    admins and opens the front desk's urgent callback, as at signing (given `alerting`).
    LookupError when there is no signed note the actor may add to; ScheduleError for an empty
    text."""
    if alerting is None and needling.serious(events):
        raise ValueError("a serious adverse event needs the alerting links")
    text = text.strip()
    if not text:
        raise ScheduleError("Write the addendum first.")
    begin_write(db.session)  # SQLite: lock before reading, or the write may find it taken
    appointment = changes.load(appointment_id)
    note_id = db.session.scalar(
        select(NeedlingNote.id).where(NeedlingNote.appointment_id == appointment_id)
    )
    if appointment is None or note_id is None or not may_write(actor, appointment):
        db.session.rollback()
        raise LookupError(appointment_id)
    addendum = NeedlingAddendum(note_id=note_id, text=text[:MAX_ADDENDUM], by_id=actor.id, at=now)
    db.session.add(addendum)
    if kinds := needling.recorded_events(events):
        db.session.flush()  # the events name the addendum that reported them
        _record_later_events(appointment, addendum, kinds, alerting, now)
    detail = "Addendum to the session note" + (", reporting an adverse event" if kinds else "")
    added = Change("addendum", detail=detail, audit=("added_addendum",))
    return changes.record(appointment, added, actor, None, settings=None, now=now)


def _record_later_events(
    appointment: Appointment,
    addendum: NeedlingAddendum,
    kinds: list[needling.AdverseEventKind],
    alerting: Alerting | None,
    now: datetime,
) -> None:
    follow_up = alerting and _follow_up(appointment, kinds, alerting, now)
    db.session.add_all(
        _adverse_events(
            appointment, kinds, follow_up, note_id=addendum.note_id, addendum_id=addendum.id
        )
    )


def _adverse_events(
    appointment: Appointment, kinds, follow_up: int | None, **reported_in
) -> list[AdverseEvent]:
    """A row per event, dated at the visit (the register counts by the visit's month); a
    serious one keeps the callback that follows it up."""
    return [
        AdverseEvent(
            appointment_id=appointment.id,
            provider_id=appointment.provider_id,
            kind=kind,
            occurred_at=appointment.starts_at,
            callback_id=follow_up if needling.is_serious(kind) else None,
            **reported_in,
        )
        for kind in kinds
    ]


def visit_with_note(viewer: User, appointment_id: int) -> Appointment | None:
    """The visit with its note and addenda when the viewer may see them (its therapist, or an
    admin); the look at a signed note is audited first. None reads as 404."""
    appointment = _loaded([Appointment.id == appointment_id]).first()
    if appointment is None or not may_write(viewer, appointment):
        return None
    if appointment.note is not None:
        audit.record(
            "viewed_note",
            actor_id=viewer.id,
            object_type="appointment",
            object_id=appointment.id,
            patient_id=appointment.patient_id,
            commit=True,
        )
        # The audit's write transaction expired what was loaded: read it once more.
        appointment = _loaded([Appointment.id == appointment_id]).one()
    return appointment


def notes_of(patient_id: int) -> list[Appointment]:
    """A patient's visits with a signed note, newest first, in a fixed number of queries (the
    record page audits the look)."""
    return _loaded([Appointment.patient_id == patient_id], joined=True).all()


def _loaded(where: list, joined: bool = False):
    query = select(Appointment)
    if joined:
        query = query.join(NeedlingNote, NeedlingNote.appointment_id == Appointment.id)
    return db.session.scalars(
        query.where(*where)
        .options(
            joinedload(Appointment.patient),
            joinedload(Appointment.location),
            joinedload(Appointment.type),
            joinedload(Appointment.provider).joinedload(Provider.user),
            selectinload(Appointment.note).joinedload(NeedlingNote.signed_by),
            selectinload(Appointment.note).selectinload(NeedlingNote.events),
            selectinload(Appointment.note)
            .selectinload(NeedlingNote.addenda)
            .joinedload(NeedlingAddendum.by),
        )
        .order_by(Appointment.starts_at.desc())
    ).unique()
