"""Patients book, move and cancel, the front desk confirms, declines and moves, therapists take
time off, in any order over two providers: no provider is ever double-booked, no visit ever
sits in time off, and every change is applied (and recorded) exactly once."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, func, select

from intake.config import current_settings
from intake.extensions import db
from intake.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentEvent,
    OutboxMessage,
    Provider,
    TimeOff,
    User,
)
from intake.permissions import Role
from intake.services import booking, free_times, staff_actions, working_time
from intake.services.errors import BookingError, ScheduleError

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 9:00 AM in Durham
DURHAM = ZoneInfo("America/New_York")
DAYS = [2, 3, 4, 7]  # Wednesday to Friday, and the Monday after, counted from NOW's Monday
STARTS = [time(9 + m // 60, m % 60) for m in range(0, 180, 15)]  # 9:00 to 11:45
# What a refused action may raise: each carries a sentence for the person who tried.
REFUSALS = (BookingError, ScheduleError, LookupError)

days = st.sampled_from(range(len(DAYS)))
starts = st.sampled_from(STARTS)
picks = st.integers(min_value=0, max_value=10_000)


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=DURHAM).astimezone(UTC)


class Schedule(RuleBasedStateMachine):
    """Every rule is one use case through its service, in its own app context like a request."""

    def __init__(self, app, world):
        super().__init__()
        self.app, self.world = app, world
        self.appointment_ids: list[int] = []
        self.time_off_taken = 0
        self.now = NOW
        monday = self.now.astimezone(DURHAM).date()
        self.days = [monday + timedelta(days=n) for n in DAYS]
        with app.app_context():  # each run starts from an empty schedule: runs can be replayed
            for model in (OutboxMessage, AppointmentEvent, Appointment, TimeOff):
                db.session.execute(delete(model))
            db.session.commit()

    def _run(self, action, *args, **kwargs):
        with self.app.app_context():
            try:
                result = action(*args, **kwargs)
            except REFUSALS:
                return None
            return getattr(result, "id", None)

    def _appointment(self, pick: int) -> int:
        return self.appointment_ids[pick % len(self.appointment_ids)]

    def _seen(self, appointment_id: int, stale: bool) -> int:
        """The revision the page showed: the current one, or one from before the last change."""
        with self.app.app_context():
            revision = db.session.get(Appointment, appointment_id).revision
        return revision - 1 if stale else revision

    def _user(self, user_id: int) -> User:
        return db.session.get(User, user_id)

    # --- patients ------------------------------------------------------------------------

    @rule(patient=picks, provider=picks, day=days, start=starts)
    def book(self, patient, provider, day, start):
        day = self.days[day]
        slug = self.world.providers[provider % 2].slug

        def request():
            provider = free_times.provider_by_slug(slug)
            choice = free_times.resolve_choice(provider, self.world.location.id, self.world.type.id)
            return booking.request_appointment(
                self._user(self.world.patients[patient % 2].id),
                choice,
                at(day, start),
                settings=current_settings(),
                now=self.now,
            )

        new_id = self._run(request)
        if new_id is not None and new_id not in self.appointment_ids:
            self.appointment_ids.append(new_id)

    @precondition(lambda self: self.appointment_ids)
    @rule(pick=picks, day=days, start=starts, stale=st.booleans())
    def patient_moves(self, pick, day, start, stale):
        day = self.days[day]
        appointment_id = self._appointment(pick)
        seen = self._seen(appointment_id, stale)

        def move():
            appointment = db.session.get(Appointment, appointment_id)
            patient = self._user(appointment.patient_id)
            return booking.move_by_patient(
                patient,
                appointment_id,
                seen,
                at(day, start),
                settings=current_settings(),
                now=self.now,
            )

        self._run(move)

    @precondition(lambda self: self.appointment_ids)
    @rule(pick=picks, stale=st.booleans())
    def patient_cancels(self, pick, stale):
        appointment_id = self._appointment(pick)
        seen = self._seen(appointment_id, stale)

        def cancel():
            patient = self._user(db.session.get(Appointment, appointment_id).patient_id)
            return booking.cancel_by_patient(
                patient, appointment_id, seen, "Busy", settings=current_settings(), now=self.now
            )

        self._run(cancel)

    # --- the front desk ------------------------------------------------------------------

    @precondition(lambda self: self.appointment_ids)
    @rule(pick=picks, stale=st.booleans())
    def desk_confirms(self, pick, stale):
        appointment_id = self._appointment(pick)
        seen = self._seen(appointment_id, stale)
        self._run(
            lambda: staff_actions.confirm(
                appointment_id,
                seen,
                self._user(self.world.desk.id),
                settings=current_settings(),
                now=self.now,
            )
        )

    @precondition(lambda self: self.appointment_ids)
    @rule(pick=picks)
    def desk_declines(self, pick):
        appointment_id = self._appointment(pick)
        seen = self._seen(appointment_id, False)
        self._run(
            lambda: staff_actions.decline(
                appointment_id,
                seen,
                self._user(self.world.desk.id),
                "Full",
                settings=current_settings(),
                now=self.now,
            )
        )

    @precondition(lambda self: self.appointment_ids)
    @rule(pick=picks, provider=picks, day=days, start=starts)
    def desk_moves(self, pick, provider, day, start):
        day = self.days[day]
        appointment_id = self._appointment(pick)
        seen = self._seen(appointment_id, False)
        self._run(
            lambda: staff_actions.move(
                appointment_id,
                seen,
                self._user(self.world.desk.id),
                self.world.providers[provider % 2].id,
                self.world.location.id,
                at(day, start),
                settings=current_settings(),
                now=self.now,
            )
        )

    # --- therapists ----------------------------------------------------------------------

    @precondition(lambda self: self.time_off_taken < 2)  # or the week soon has no free time
    @rule(provider=picks, day=days, start=starts, quarters=st.integers(1, 8))
    def therapist_takes_time_off(self, provider, day, start, quarters):
        begins = datetime.combine(self.days[day], start)
        self._take_time_off(self.world.providers[provider % 2].id, begins, quarters)

    @precondition(lambda self: self.appointment_ids and self.time_off_taken < 2)
    @rule(pick=picks, quarters=st.integers(1, 4))
    def therapist_takes_time_off_over_a_visit(self, pick, quarters):
        """Time off starting at one of the visits (held, moved or already cancelled)."""
        with self.app.app_context():
            visit = db.session.get(Appointment, self._appointment(pick))
            provider_id, begins = visit.provider_id, visit.starts_at.astimezone(DURHAM)
        self._take_time_off(provider_id, begins.replace(tzinfo=None), quarters)

    def _take_time_off(self, provider_id: int, begins: datetime, quarters: int) -> None:
        def take():
            found = db.session.get(Provider, provider_id)
            return working_time.add_time_off(
                found,
                found.user,
                begins,
                begins + timedelta(minutes=15 * quarters),
                "Course",
                zone="America/New_York",
                now=self.now,
            )

        if self._run(take) is not None:
            self.time_off_taken += 1

    # --- what must always hold -----------------------------------------------------------

    @invariant()
    def no_provider_is_double_booked_and_no_visit_sits_in_time_off(self):
        with self.app.app_context():
            holding = db.session.scalars(
                select(Appointment)
                .where(Appointment.status.in_(HOLDING_STATUSES))
                .order_by(Appointment.provider_id, Appointment.starts_at)
            ).all()
            off = defaultdict(list)
            for period in db.session.scalars(select(TimeOff)):
                off[period.provider_id].append((period.starts_at, period.ends_at))
            for first, second in pairwise(holding):
                if first.provider_id == second.provider_id:
                    # The buffer after a visit is the provider's too.
                    assert second.starts_at >= first.blocks_until, (first.id, second.id)
            for visit in holding:
                for starts_at, ends_at in off[visit.provider_id]:
                    assert not (visit.starts_at < ends_at and starts_at < visit.ends_at), visit.id

    @invariant()
    def every_change_is_applied_once_and_recorded(self):
        """The revision counts the changes: one history line for each, none lost or doubled."""
        with self.app.app_context():
            events = dict(
                db.session.execute(
                    select(AppointmentEvent.appointment_id, func.count())
                    .where(AppointmentEvent.action != "note")
                    .group_by(AppointmentEvent.appointment_id)
                ).all()
            )
            for appointment_id, revision in db.session.execute(
                select(Appointment.id, Appointment.revision)
            ):
                assert revision == events.get(appointment_id, 0), appointment_id


@pytest.fixture
def world(clinic, make_provider, make_user, ready_patient):
    """Two providers at one Durham clinic, Monday to Friday 9-12; two ready patients."""
    from types import SimpleNamespace

    other = make_provider(
        "Cy Other",
        [clinic.location],
        slug="cy",
        hours=[(clinic.location, day, time(9), time(12)) for day in range(5)],
    )
    return SimpleNamespace(
        location=clinic.location,
        type=clinic.type,
        providers=[clinic.provider, other],
        patients=[ready_patient(), ready_patient()],
        desk=make_user(Role.FRONT_DESK),
    )


def test_the_schedule_never_double_books_nor_books_into_time_off(app, world):
    run_state_machine_as_test(
        lambda: Schedule(app, world),
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
