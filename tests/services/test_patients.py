"""A patient's contact details live on their account, where the desk searches them; a patient
with no email on file is booked, reminded and looked after without any email queued."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from intake.config import current_settings
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, CheckIn, OutboxMessage, User
from intake.services import aftercare, patients
from intake.services.notifications import notify
from intake.services.reminders import queue_reminders

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def test_saving_an_intake_copies_phone_and_birth_date_onto_the_account(app, make_user, make_intake):
    patient = make_user()
    make_intake(patient, phone="+19195550177", born_on="1975-07-14")
    make_intake(patient, phone="+19195550188", born_on="1975-07-14")

    with app.app_context():
        account = db.session.get(User, patient.id)
        assert (account.phone, account.born_on) == ("+19195550188", date(1975, 7, 14))


def test_the_search_counts_before_it_pages_and_leaves_staff_out(app, make_user):
    from intake.permissions import Role

    desk = make_user(Role.FRONT_DESK, last_name="Lopez")
    for n in range(3):
        make_user(first_name="Ana", last_name=f"Lopez{n}")
    with app.app_context():
        viewer = db.session.get(User, desk.id)

        found = patients.search(viewer, "lopez", page=2, per_page=2)

        assert (found.total, found.page, found.pages) == (3, 2, 2)
        assert [row.last_name for row in found.rows] == ["Lopez2"]


def _visit(app, book, make_user) -> int:
    caller = make_user(email=None, password_hash="")
    appointment = book(NOW + timedelta(hours=20), AppointmentStatus.CONFIRMED, patient=caller)
    return appointment.id


def test_no_email_is_queued_for_a_patient_without_one(app, book, make_user):
    appointment_id = _visit(app, book, make_user)
    with app.app_context():
        settings = current_settings()
        visit = db.session.get(Appointment, appointment_id)

        notify(visit, "confirmed", settings=settings, stamped_at=NOW)
        db.session.commit()
        assert queue_reminders(NOW, settings) == 1  # marked reminded: no retry every minute

        recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
        assert None not in recipients
        assert visit.patient.email is None
        assert all(r != "" for r in recipients)
        assert not any(
            kind in ("confirmed", "reminder")
            for kind in db.session.scalars(select(OutboxMessage.kind)).all()
        )


def test_a_completed_visit_of_a_patient_without_email_queues_no_aftercare(app, book, make_user):
    appointment_id = _visit(app, book, make_user)
    with app.app_context():
        visit = db.session.get(Appointment, appointment_id)

        aftercare.start(visit, settings=current_settings(), now=NOW)
        db.session.commit()

        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert db.session.scalars(select(CheckIn)).all() == []


def test_a_check_in_whose_patient_lost_their_email_is_marked_sent_not_queued(app, book, make_user):
    patient = make_user()
    appointment = book(NOW - timedelta(days=1), AppointmentStatus.COMPLETED, patient=patient)
    with app.app_context():
        settings = current_settings()
        db.session.add(
            CheckIn(
                appointment_id=appointment.id,
                patient_id=patient.id,
                created_at=NOW - timedelta(days=1),
                due_at=NOW - timedelta(minutes=5),
            )
        )
        db.session.get(User, patient.id).email = None
        db.session.commit()

        assert aftercare.queue_check_ins(NOW, settings, lambda token: f"/c/{token}") == 0
        assert db.session.scalars(select(CheckIn.sent_at)).one() is not None
        assert db.session.scalars(select(OutboxMessage)).all() == []
