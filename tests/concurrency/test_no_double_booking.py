"""Twenty patients press "Send my request" for the same time at once: one gets it."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Appointment
from tests.concurrency.conftest import signed_in
from tests.support.clock import next_weekday_at

CLIENTS = 20


def send_request(session: requests.Session, server: str, clinic, start: datetime, barrier):
    form = {
        "location": clinic.location.id,
        "type": clinic.type.id,
        "start": start.strftime("%Y-%m-%dT%H:%MZ"),
        "note": "",
    }
    barrier.wait()  # everybody fires together
    return session.post(
        f"{server}/book/{clinic.provider.slug}/confirm", data=form, allow_redirects=False
    )


def race(server, clinic, sessions, start):
    barrier = threading.Barrier(len(sessions))
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        futures = [pool.submit(send_request, s, server, clinic, start, barrier) for s in sessions]
        return [f.result() for f in futures]


def stored(app) -> list[Appointment]:
    with app.app_context():
        return list(db.session.scalars(select(Appointment)))


def test_twenty_patients_racing_for_one_slot_leaves_exactly_one_request(
    app, server, clinic, ready_patient
):
    patients = [ready_patient() for _ in range(CLIENTS)]
    sessions = [signed_in(server, p.email) for p in patients]
    start = next_weekday_at(datetime.now(UTC), 10)

    responses = race(server, clinic, sessions, start)

    codes = sorted(r.status_code for r in responses)
    assert codes == [302] + [409] * (CLIENTS - 1), codes
    assert all("That time was just taken" in r.text for r in responses if r.status_code == 409)
    [appointment] = stored(app)
    assert appointment.starts_at == start
    winner = next(r for r in responses if r.status_code == 302)
    assert winner.headers["Location"].endswith(
        f"/account/appointments/{appointment.id}?requested=1"
    )


def test_the_same_patient_in_two_tabs_makes_one_request(app, server, clinic, ready_patient):
    patient = ready_patient()
    tabs = [signed_in(server, patient.email) for _ in range(2)]
    start = next_weekday_at(datetime.now(UTC), 10)

    responses = race(server, clinic, tabs, start)

    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.headers["Location"] for r in responses}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
