"""The emails a change queues take the clinic's details and the change's time as given."""

from dataclasses import replace
from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy import select

from intake.config import current_settings
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, OutboxMessage
from intake.services.notifications import notify
from intake.services.outbox import calendar_file

CANCELLED_AT = datetime(2026, 3, 2, 16, 45, tzinfo=UTC)


def test_a_cancellation_reaches_the_desk_the_settings_name_stamped_when_it_happened(app, book):
    appointment = book(datetime(2026, 3, 10, 14, 30, tzinfo=UTC), AppointmentStatus.CANCELLED)
    with app.app_context():
        settings = replace(
            current_settings(),
            front_desk_email="desk@riverside.example",
            clinic_name="Riverside Needling",
            clinic_phone="(919) 555-0100",
        )
        loaded = db.session.get(Appointment, appointment.id)
        notify(loaded, "cancelled", "Feeling better", settings=settings, stamped_at=CANCELLED_AT)
        db.session.commit()
        queued = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()

        recipients = [message.recipient for message in queued]
        assert recipients[-1] == "desk@riverside.example"
        assert recipients[0] == loaded.patient.email
        for message in queued:
            assert message.body.rstrip().endswith(
                "Questions? Call us at (919) 555-0100.\nRiverside Needling"
            )
            [event] = Calendar.from_ical(calendar_file(message)).walk("VEVENT")
            assert event.decoded("dtstamp") == CANCELLED_AT
            assert str(event["location"]).startswith("Riverside Needling, ")
