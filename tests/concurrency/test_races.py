"""Two people change the same thing at the same moment, over HTTP against a real server, ten
rounds each: one of them wins, the other is told, and nothing contradictory is ever stored."""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime, time
from functools import partial

import pytest
from sqlalchemy import delete, func, select

from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentStatus,
    OutboxMessage,
    TimeOff,
    WorkingHours,
)
from intake.permissions import Role
from tests.concurrency.conftest import signed_in
from tests.support.clock import at, weekdays_ahead

ROUNDS = 10


class Rendezvous:
    """Each side, about to check "is it free?", waits a moment for the other to get as far.
    Without a lock both meet and check together, so a missing lock shows in the first rounds;
    with one the other side is still queued for the lock, and the first goes on alone."""

    MOMENT = 0.5  # seconds
    # The checks, as each service calls them (looked up in the module at call time).
    CHECKS = (
        ("booking", "check_free"),  # a patient books or moves
        ("booking", "_may_change"),  # a patient cancels
        ("staff_actions", "require_status"),  # the front desk confirms
        ("working_time", "_holding"),  # time off, hours removal: any visits in the way?
    )

    def __init__(self):
        self.fresh()

    def fresh(self) -> None:
        self.barrier = threading.Barrier(2, timeout=self.MOMENT)

    def wrap(self, check):
        def meet_then_check(*args, **kwargs):
            # Broken: the other side waits for the lock we hold, so go on alone.
            with suppress(threading.BrokenBarrierError):
                self.barrier.wait()
            return check(*args, **kwargs)

        return meet_then_check


@pytest.fixture
def rendezvous(monkeypatch):
    from intake import services

    meeting = Rendezvous()
    for module_name, name in Rendezvous.CHECKS:
        module = getattr(services, module_name)
        monkeypatch.setattr(module, name, meeting.wrap(getattr(module, name)))
    return meeting


def together(*calls):
    """Run the calls in threads released by one barrier; their responses, in order."""
    barrier = threading.Barrier(len(calls))

    def fire(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result() for f in [pool.submit(fire, call) for call in calls]]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def last_mail_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(OutboxMessage.id))) or 0


def booking_form(clinic, start: datetime) -> dict:
    return {
        "location": clinic.location.id,
        "type": clinic.type.id,
        "start": start.strftime("%Y-%m-%dT%H:%MZ"),
        "note": "",
    }


@pytest.fixture
def people(server, clinic, ready_patient, make_user):
    """A patient, the front desk and the clinic's therapist, each signed in over HTTP."""
    patient = ready_patient()
    desk = make_user(Role.FRONT_DESK)
    return (
        patient,
        signed_in(server, patient.email),
        signed_in(server, desk.email),
        signed_in(server, "ben@example.org"),
    )


# --- (a) the patient cancels while the front desk confirms -----------------------------------


def test_cancel_and_confirm_at_once_one_wins_the_other_sees_it_and_one_email_goes_out(
    app, server, clinic, people, make_appointment, rendezvous
):
    patient, patient_http, desk_http, _ = people
    days = weekdays_ahead(datetime.now(UTC), ROUNDS)
    winners = []
    for day in days:
        appointment = make_appointment(
            patient, clinic.provider, clinic.location, clinic.type, at(day, 10)
        )
        page = f"{server}/account/appointments/{appointment.id}"
        desk_page = f"{server}/staff/requests/{appointment.id}"
        mails_before = last_mail_id(app)

        rendezvous.fresh()
        cancelled, confirmed = together(
            partial(
                patient_http.post,
                f"{page}/cancel",
                data={"reason": "Feeling better", "revision": appointment.revision},
                allow_redirects=False,
            ),
            partial(
                desk_http.post,
                f"{desk_page}/confirm",
                data={"revision": appointment.revision},
                allow_redirects=False,
            ),
        )

        codes = sorted([cancelled.status_code, confirmed.status_code])
        assert codes == [302, 409], codes
        with app.app_context():
            stored = db.session.get(Appointment, appointment.id)
            status, revision = stored.status, stored.revision
            mails = db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id > mails_before)
            ).all()
            to_patient = [m.kind for m in mails if m.recipient == patient.email]
        if cancelled.status_code == 302:
            assert status == AppointmentStatus.CANCELLED
            assert "Someone else changed this request" in confirmed.text
            assert to_patient == ["cancelled"]
        else:
            assert status == AppointmentStatus.CONFIRMED
            assert "This appointment changed meanwhile" in cancelled.text
            assert to_patient == ["confirmed"]
        assert revision == appointment.revision + 1  # applied once
        assert {m.kind.removeprefix("staff_") for m in mails} == {status}  # the loser sent none
        winners.append(status)
    print(f"cancel vs confirm winners: {sorted(winners)}")


# --- (b) the therapist takes time off while a patient books inside it ------------------------


def test_time_off_and_a_booking_inside_it_are_never_both_stored(
    app, server, clinic, people, rendezvous
):
    _, patient_http, _, therapist_http = people
    outcomes = []
    for day in weekdays_ahead(datetime.now(UTC), ROUNDS):
        rendezvous.fresh()
        booked, took_off = together(
            partial(
                patient_http.post,
                f"{server}/book/ben/confirm",
                data=booking_form(clinic, at(day, 10)),
                allow_redirects=False,
            ),
            partial(
                therapist_http.post,
                f"{server}/schedule/time-off",
                data={
                    "starts": f"{day.isoformat()}T09:00",
                    "ends": f"{day.isoformat()}T12:00",
                    "reason": "Course",
                },
                allow_redirects=False,
            ),
        )

        assert 500 not in (booked.status_code, took_off.status_code)
        appointments = count(
            app,
            Appointment,
            Appointment.starts_at == at(day, 10),
            Appointment.status.in_(["requested", "confirmed"]),
        )
        time_off = count(app, TimeOff, TimeOff.starts_at == at(day, 9))
        assert appointments + time_off == 1, (day, booked.status_code, took_off.status_code)
        assert (booked.status_code == 302) == bool(appointments)
        assert (took_off.status_code == 302) == bool(time_off)
        outcomes.append("booking" if appointments else "time off")
    print(f"time off vs booking winners: {sorted(outcomes)}")


# --- (c) the therapist removes hours while a patient books inside them -----------------------


def restore_hours(app, clinic, weekday: int) -> int:
    """The Monday-to-Friday 9-12 block for `weekday`, back in place; its id."""
    with app.app_context():
        db.session.execute(
            delete(WorkingHours).where(
                WorkingHours.provider_id == clinic.provider.id, WorkingHours.weekday == weekday
            )
        )
        block = WorkingHours(
            provider_id=clinic.provider.id,
            location_id=clinic.location.id,
            weekday=weekday,
            starts=time(9),
            ends=time(12),
        )
        db.session.add(block)
        db.session.commit()
        return block.id


def test_removing_hours_and_a_booking_inside_them_are_never_both_stored(
    app, server, clinic, people, rendezvous
):
    _, patient_http, _, therapist_http = people
    outcomes = []
    for day in weekdays_ahead(datetime.now(UTC), ROUNDS):
        block_id = restore_hours(app, clinic, day.weekday())
        rendezvous.fresh()
        booked, removed = together(
            partial(
                patient_http.post,
                f"{server}/book/ben/confirm",
                data=booking_form(clinic, at(day, 11)),
                allow_redirects=False,
            ),
            partial(
                therapist_http.post,
                f"{server}/schedule/hours/{block_id}/remove",
                allow_redirects=False,
            ),
        )

        assert 500 not in (booked.status_code, removed.status_code)
        appointment = count(
            app,
            Appointment,
            Appointment.starts_at == at(day, 11),
            Appointment.status.in_(["requested", "confirmed"]),
        )
        block_left = count(app, WorkingHours, WorkingHours.id == block_id)
        # Either the visit is booked and its hours stay, or the hours went and nothing booked.
        assert appointment <= block_left, (day, booked.status_code, removed.status_code)
        assert (booked.status_code == 302) == bool(appointment)
        assert (removed.status_code == 302) == (not block_left)
        outcomes.append("booking" if appointment else "removal")
        if appointment:  # free the weekday for a later round on the same weekday
            with app.app_context():
                for stored in db.session.scalars(
                    select(Appointment).where(Appointment.starts_at == at(day, 11))
                ):
                    stored.status = AppointmentStatus.CANCELLED
                db.session.commit()
    print(f"hours removal vs booking winners: {sorted(outcomes)}")
