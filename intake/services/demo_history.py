"""The demo clinic's last week: one needling visit completed through the real services, with
its signed note, a bruise on the adverse-event register, an addendum and an answered check-in."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..domain.aftercare import CheckInAnswers
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CheckIn,
    NeedlingNote,
    User,
)
from ..settings import ClinicSettings
from . import aftercare, demo_data, free_times, notes
from .changes import times_at


def seed_past_visit(settings: ClinicSettings, now: datetime) -> None:
    """Only into a clinic with no session notes yet, so a re-run adds nothing."""
    if db.session.scalar(select(func.count()).select_from(NeedlingNote)):
        return
    row = demo_data.PAST_VISIT
    patient = db.session.scalars(select(User).where(User.email == row["patient"])).one()
    provider = free_times.provider_by_slug(row["provider"])
    kind = db.session.scalars(
        select(AppointmentType).where(AppointmentType.slug == row["type"])
    ).one()
    # 10:00 at the clinic a week ago: in the past, where no request can be.
    local = (now - timedelta(days=7)).astimezone(ZoneInfo(settings.timezone))
    starts_at = local.replace(hour=10, minute=0, second=0, microsecond=0)
    visit = Appointment(
        patient_id=patient.id,
        provider_id=provider.id,
        location_id=provider.locations[0].id,
        type_id=kind.id,
        status=AppointmentStatus.CONFIRMED,
        screening_snapshot={},
        **times_at(starts_at, kind),
    )
    db.session.add(visit)
    db.session.commit()
    signed_at = starts_at + timedelta(minutes=40)
    entry = notes.NoteEntry(
        regions=row["regions"],
        needle_count=row["needles"],
        tolerance="good",
        twitch_response=True,
        events=row["events"],
        other_event="",
        aftercare=row["aftercare"],
    )
    therapist = provider.user
    notes.sign(
        provider, therapist, visit.id, visit.revision, entry,
        alerting=notes.Alerting(settings, visit_link=""), now=signed_at,
    )  # fmt: skip
    notes.add_addendum(therapist, visit.id, row["addendum"], now=signed_at + timedelta(days=1))
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.appointment_id == visit.id)).one()
    check_in.sent_at = check_in.due_at
    db.session.commit()
    answers = CheckInAnswers(
        soreness=3,
        bruising=True,
        dizziness=False,
        short_of_breath=False,
        chest_pain=False,
        dry_cough=False,
        comments=row["check_in_comments"],
    )
    aftercare.answer(
        check_in.id, answers, settings=settings, now=check_in.due_at + timedelta(hours=2)
    )
