"""What the desk's tests share: a signed-in staff client, and a booking form as the page
posts it."""

from datetime import datetime

from sqlalchemy import select

from intake.extensions import db
from intake.models import Appointment
from tests.conftest import PASSWORD


def signed_in(app, user):
    """A client of its own, signed in through the real form."""
    client = app.test_client()
    answer = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def slot(moment: datetime) -> str:
    """A start as the booking pages carry it."""
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def booking(clinic, start: datetime, **more) -> dict:
    """The booking form for the test clinic's provider, place and type at `start`."""
    return {
        "provider": str(clinic.provider.id),
        "location": str(clinic.location.id),
        "type": str(clinic.type.id),
        "start": slot(start),
        **more,
    }


def appointments_of(app, patient) -> list[Appointment]:
    with app.app_context():
        found = db.session.scalars(
            select(Appointment).where(Appointment.patient_id == patient.id)
        ).all()
        db.session.expunge_all()
    return list(found)
