"""Staff actions on a request: the rules for confirming and moving, and two people acting on
the same request at the same moment (each in its own thread, app context and session)."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from intake.config import current_settings
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    OutboxMessage,
    User,
    WorkingHours,
)
from intake.permissions import Role
from intake.services import changes, staff_actions
from intake.services.errors import ActionRefused, ChangedMeanwhile, ReviewNeeded, SlotTaken
from intake.services.free_times import SlotChoice

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 9:00 AM in Durham (EST)


def durham(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 wall-clock time in Durham as UTC."""
    return datetime(2026, 12, day, hour + 5, minute, tzinfo=UTC)


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK)


@pytest.fixture
def request_at(clinic, ready_patient, make_appointment):
    def build(starts_at, **fields):
        patient = fields.pop("patient", None) or ready_patient()
        return make_appointment(
            patient, clinic.provider, clinic.location, clinic.type, starts_at, **fields
        )

    return build


def act(app, action, appointment, actor, *args, **kwargs):
    """Run a service action as a request would: its own app context, the actor loaded in it."""
    with app.app_context():
        user = db.session.get(User, actor.id)
        result = action(
            appointment.id, appointment.revision, user, *args, settings=current_settings(), **kwargs
        )
        return result.status


def stored(app, appointment) -> Appointment:
    with app.app_context():
        found = db.session.get(Appointment, appointment.id)
        db.session.expunge(found)
    return found


def count(app, model, *where) -> int:
    with app.app_context():
        return len(db.session.scalars(select(model).where(*where)).all())


# --- confirming -----------------------------------------------------------------------


def test_staff_may_confirm_inside_the_patients_online_notice(app, desk, request_at):
    tomorrow_early = request_at(durham(8, 9))  # 24 hours ahead: patients could not book later
    today_late = request_at(durham(7, 11))  # two hours from NOW
    assert act(app, staff_actions.confirm, tomorrow_early, desk, now=NOW) == "confirmed"
    assert act(app, staff_actions.confirm, today_late, desk, now=NOW) == "confirmed"


def test_a_time_already_past_cannot_be_confirmed(app, desk, request_at):
    appointment = request_at(durham(7, 9))
    with pytest.raises(ActionRefused, match="already passed"):
        act(app, staff_actions.confirm, appointment, desk, now=NOW + timedelta(hours=1))


def test_a_time_no_longer_in_the_providers_hours_cannot_be_confirmed(app, desk, clinic, request_at):
    appointment = request_at(durham(8, 10))
    with app.app_context():
        for block in db.session.scalars(
            select(WorkingHours).where(WorkingHours.provider_id == clinic.provider.id)
        ):
            block.starts = time(13)
            block.ends = time(17)
        db.session.commit()
    with pytest.raises(ActionRefused, match="outside Ben Durham's working hours"):
        act(app, staff_actions.confirm, appointment, desk, now=NOW)
    assert stored(app, appointment).status == AppointmentStatus.REQUESTED


@pytest.mark.parametrize(
    ("outcome", "role", "reason", "allowed"),
    [
        (None, Role.FRONT_DESK, "", False),
        ("not_suitable", Role.FRONT_DESK, "", False),
        ("cleared", Role.FRONT_DESK, "", True),
        (None, Role.ADMIN, "", False),
        (None, Role.ADMIN, "Reviewed by phone with Dr. Shah", True),
        ("not_suitable", Role.ADMIN, "Patient brought a physician's letter", True),
        (None, Role.FRONT_DESK, "I am sure it is fine", False),  # only admins override
    ],
)
def test_precautions_need_a_therapists_clearance_or_an_admins_reason(
    app, make_user, request_at, outcome, role, reason, allowed
):
    appointment = request_at(durham(8, 10), needs_review=True, review_outcome=outcome)
    actor = make_user(role)
    if allowed:
        assert act(app, staff_actions.confirm, appointment, actor, reason, now=NOW) == "confirmed"
    else:
        with pytest.raises(ReviewNeeded):
            act(app, staff_actions.confirm, appointment, actor, reason, now=NOW)
        assert count(app, OutboxMessage) == 0
    overridden = count(app, AuditEvent, AuditEvent.action == "review_overridden")
    assert overridden == (1 if allowed and outcome != "cleared" else 0)


# --- moving ---------------------------------------------------------------------------


def test_moving_to_the_same_time_and_place_is_refused(app, desk, clinic, request_at):
    appointment = request_at(durham(8, 10))
    with pytest.raises(ActionRefused, match="already has"):
        act(
            app,
            staff_actions.move,
            appointment,
            desk,
            clinic.provider.id,
            clinic.location.id,
            appointment.starts_at,
            now=NOW,
        )


def test_a_move_may_overlap_the_requests_own_old_time(app, desk, clinic, request_at):
    appointment = request_at(durham(8, 10))
    status = act(
        app,
        staff_actions.move,
        appointment,
        desk,
        clinic.provider.id,
        clinic.location.id,
        durham(8, 10, 15),
        now=NOW,
    )
    assert status == "requested"
    assert stored(app, appointment).starts_at == durham(8, 10, 15)
    assert stored(app, appointment).blocks_until == durham(8, 10, 55)


def test_free_times_for_a_move_leave_the_request_itself_out(app, clinic, request_at):
    appointment = request_at(durham(8, 10))
    with app.app_context():
        loaded = db.session.get(Appointment, appointment.id)
        choice = SlotChoice(loaded.provider, loaded.location, loaded.type)
        days = staff_actions.free_times_for_move(
            loaded, choice, durham(8, 0).date(), 1, settings=current_settings(), now=NOW
        )
    [slots] = days.values()
    assert durham(8, 10) in slots and durham(8, 9, 45) in slots


# --- two people at once ---------------------------------------------------------------


def race(app, calls):
    """Run each call in its own thread and app context, together; returns results or errors."""
    results = [None] * len(calls)

    def run(i, call):
        with app.app_context():
            try:
                results[i] = call()
            except Exception as error:
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def both_checked(monkeypatch):
    """Hold each action, the request already read, until the other has read it too, so both
    go for the write with the same revision: the lock and the revision must pick one."""
    barrier = threading.Barrier(2, timeout=30)
    original = changes.begin_write

    def wait_then_lock(*args, **kwargs):
        barrier.wait()
        original(*args, **kwargs)

    monkeypatch.setattr(changes, "begin_write", wait_then_lock)


def test_confirm_and_decline_at_the_same_moment_apply_once(
    app, desk, make_user, request_at, both_checked
):
    appointment = request_at(durham(8, 10))
    other_desk = make_user(Role.FRONT_DESK)

    def confirm():
        user = db.session.get(User, desk.id)
        return staff_actions.confirm(
            appointment.id, appointment.revision, user, settings=current_settings(), now=NOW
        ).status

    def decline():
        user = db.session.get(User, other_desk.id)
        return staff_actions.decline(
            appointment.id,
            appointment.revision,
            user,
            "Full that day",
            settings=current_settings(),
            now=NOW,
        ).status

    results = race(app, [confirm, decline])

    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, ChangedMeanwhile)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert stored(app, appointment).status == winners[0]
    assert stored(app, appointment).revision == appointment.revision + 1
    assert count(app, AppointmentEvent) == 1
    assert count(app, OutboxMessage) == 1
    assert count(app, AuditEvent, AuditEvent.action == "status_changed") == 1
    assert losers[0].appointment.status == winners[0]  # the loser is shown what happened


def test_two_moves_onto_one_free_time_leave_one_there(
    app, desk, clinic, request_at, ready_patient, both_checked
):
    first = request_at(durham(8, 9))
    second = request_at(durham(8, 11), patient=ready_patient())
    target = durham(9, 10)

    def move(appointment):
        def call():
            user = db.session.get(User, desk.id)
            return staff_actions.move(
                appointment.id,
                appointment.revision,
                user,
                clinic.provider.id,
                clinic.location.id,
                target,
                settings=current_settings(),
                now=NOW,
            ).status

        return call

    results = race(app, [move(first), move(second)])

    assert sorted(type(r).__name__ for r in results) == ["AppointmentStatus", "SlotTaken"], results
    starts = {stored(app, a).starts_at for a in (first, second)}
    assert target in starts and len(starts) == 2
    assert count(app, AppointmentEvent, AppointmentEvent.action == "moved") == 1
    assert isinstance(next(r for r in results if not isinstance(r, str)), SlotTaken)


def test_the_same_action_twice_in_sequence_applies_once(app, desk, request_at):
    appointment = request_at(durham(8, 10))
    assert act(app, staff_actions.cancel, appointment, desk, "Snow", now=NOW) == "cancelled"
    with pytest.raises(ChangedMeanwhile):
        act(app, staff_actions.cancel, appointment, desk, "Snow", now=NOW)
    assert count(app, AppointmentEvent) == 1


def test_a_note_changes_nothing_and_needs_no_revision(app, desk, request_at):
    appointment = request_at(durham(8, 10))
    with app.app_context():
        staff_actions.add_note(
            appointment.id, db.session.get(User, desk.id), "Left a voicemail", now=NOW
        )
    assert stored(app, appointment).revision == appointment.revision
    assert count(app, OutboxMessage) == 0
    with app.app_context(), pytest.raises(LookupError):
        staff_actions.add_note(987654, db.session.get(User, desk.id), "Lost", now=NOW)


def test_moving_to_another_provider_asks_the_new_therapist_to_review(
    app, clinic, ready_patient, make_appointment, make_provider, make_user
):
    from datetime import UTC, datetime, time

    from intake.extensions import db as database
    from intake.models import Appointment, utcnow
    from intake.permissions import Role
    from intake.services import staff_actions

    other = make_provider(
        "Cy Other",
        [clinic.location],
        slug="cy",
        hours=[(clinic.location, day, time(9), time(12)) for day in range(5)],
    )
    patient = ready_patient(anticoagulants="yes")
    start = datetime(2031, 1, 7, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Durham
    appointment = make_appointment(
        patient,
        clinic.provider,
        clinic.location,
        clinic.type,
        start,
        needs_review=True,
        review_outcome="cleared",
        review_note="Fine with pressure.",
    )
    desk = make_user(Role.FRONT_DESK)
    with app.app_context():
        staff_actions.move(
            appointment.id,
            appointment.revision,
            database.session.merge(desk),
            other.id,
            clinic.location.id,
            start,
            settings=current_settings(),
            now=utcnow(),
        )
        moved = database.session.get(Appointment, appointment.id)
        assert moved.provider_id == other.id
        assert moved.review_outcome is None
        assert moved.review_note == ""
