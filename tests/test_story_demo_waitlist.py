"""On the demo clinic: Robin cancels her request online, and Pat, first on the waitlist for
that therapist, gets the freed time by email and claims it through the emailed link."""

import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentStatus,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from intake.services import demo_data
from tests.support.mailbox import deliver_outbox

PASSWORD = "demo-password-1"


def user(app, email: str) -> User:
    with app.app_context():
        found = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(found)
        return found


def test_a_cancelled_request_goes_to_the_first_waiting_patient_who_claims_it(
    app, runner, client, login_as, smtp_server
):
    runner.invoke(args=["seed-demo", "--password", PASSWORD])
    robin, pat = user(app, demo_data.REQUESTS[0][0]), user(app, demo_data.WAITLISTED)
    with app.app_context():
        request = db.session.scalars(
            select(Appointment).where(
                Appointment.patient_id == robin.id,
                Appointment.status == AppointmentStatus.REQUESTED,
            )
        ).one()
        freed = (request.id, request.revision, request.provider_id, request.starts_at)
        waiting = db.session.scalars(select(WaitlistEntry)).all()
        assert {entry.patient_id for entry in waiting} >= {pat.id}

    login_as(robin, PASSWORD)
    cancelled = client.post(
        f"/account/appointments/{freed[0]}/cancel",
        data={"revision": freed[1], "reason": "Work trip"},
    )
    assert cancelled.status_code == 302
    client.post("/account/logout")
    deliver_outbox(app)

    [offer_mail] = [
        m for m in smtp_server.messages if m["To"] == pat.email and "opened up" in m["Subject"]
    ]
    body = offer_mail.get_body(("plain",)).get_content()
    link = re.search(r"http://localhost(/waitlist/offers/\S+)", body).group(1)

    login_as(pat, PASSWORD)
    assert "Claim this time" in client.get(link).get_data(as_text=True)
    claimed = client.post(link)

    assert claimed.status_code == 302
    with app.app_context():
        visit = db.session.scalars(
            select(Appointment).where(
                Appointment.patient_id == pat.id, Appointment.starts_at == freed[3]
            )
        ).one()
        assert (visit.provider_id, visit.status) == (freed[2], AppointmentStatus.REQUESTED)
        offer = db.session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.appointment_id == visit.id)
        ).one()
        assert offer.entry.status == WaitlistStatus.BOOKED
