"""Forms pending, as the services see it: which forms a visit still lacks, the hook every
staff booking calls (one email with a signed link, or none without an address), the link's
expiry, the desk's resend and "on paper", and the day's list."""

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from intake.config import current_settings
from intake.domain.confirmation import Form, missing_forms
from intake.domain.consent import ConsentState
from intake.extensions import db
from intake.formatting import phone_display
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    OutboxMessage,
    User,
)
from intake.permissions import Role
from intake.services import demo_data, forms_link, forms_pending, intakes
from intake.services.changes import load
from intake.services.errors import ActionRefused
from intake.services.forms_link import LinkProblem
from tests.support.clock import CLINIC_ZONE, at, next_weekday, next_weekday_at


@pytest.mark.parametrize(
    ("needling", "has_intake", "consent", "missing"),
    [
        (True, True, ConsentState.VALID, ()),
        (True, False, None, (Form.INTAKE, Form.CONSENT)),
        (True, True, None, (Form.CONSENT,)),
        (True, True, ConsentState.EXPIRED, (Form.CONSENT,)),
        (True, True, ConsentState.SUPERSEDED, (Form.CONSENT,)),
        # A withdrawal is the patient's "no": a refusal at booking, not a form to send.
        (True, True, ConsentState.WITHDRAWN, ()),
        (False, False, None, (Form.INTAKE,)),
        (False, True, None, ()),
    ],
)
def test_the_forms_a_visit_still_needs(needling, has_intake, consent, missing):
    found = missing_forms(
        involves_dry_needling=needling, has_intake=has_intake, consent_state=consent
    )
    assert found == missing


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


@pytest.fixture
def staff_booked(app, clinic, desk, make_appointment, consent_v1):
    """A confirmed visit the desk booked, run through the hook as a staff booking does."""

    def build(patient, starts_at, now=None):
        visit = make_appointment(
            patient,
            clinic.provider,
            clinic.location,
            clinic.type,
            starts_at,
            status=AppointmentStatus.CONFIRMED,
        )
        with app.test_request_context():
            appointment = load(visit.id)
            missing = forms_pending.after_staff_booking(
                appointment,
                db.session.get(User, desk.id),
                settings=current_settings(),
                now=now or datetime.now(UTC),
            )
            db.session.commit()
        return visit, missing

    return build


def forms_emails(app, appointment_id: int) -> list[OutboxMessage]:
    with app.app_context():
        found = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.appointment_id == appointment_id)
            .where(OutboxMessage.kind == "forms_link")
            .order_by(OutboxMessage.id)
        ).all()
        db.session.expunge_all()
    return list(found)


def test_a_visit_booked_without_forms_gets_one_email_with_its_link(app, staff_booked, make_user):
    patient = make_user(first_name="Nina", last_name="New", email="nina@example.com")
    now = datetime.now(UTC)
    visit, missing = staff_booked(patient, next_weekday_at(now, 10, days_ahead=3))

    assert missing == (Form.INTAKE, Form.CONSENT)
    [email] = forms_emails(app, visit.id)
    assert email.recipient == "nina@example.com"
    assert "Nina" not in email.subject and "needl" not in email.subject.lower()
    assert "health questionnaire" in email.body and "consent for dry needling" in email.body
    link = next(line for line in email.body.splitlines() if "/forms/" in line)
    with app.test_request_context():
        opened = forms_link.open_link(link.rsplit("/", 1)[1], settings=current_settings(), now=now)
        assert phone_display(current_settings().clinic_phone) in email.body  # as on the pages
        assert opened.problem is None
        assert opened.appointment.id == visit.id
        assert opened.appointment.patient_id == patient.id
        stored = db.session.get(Appointment, visit.id)
        assert stored.forms_link_sent_at is not None
        history = db.session.scalars(
            select(AppointmentEvent.detail).where(AppointmentEvent.appointment_id == visit.id)
        ).all()
    assert any(
        line.startswith("Forms pending: health questionnaire and consent") for line in history
    )


def test_a_patient_with_every_form_gets_no_forms_email(app, staff_booked, ready_patient):
    visit, missing = staff_booked(ready_patient(), next_weekday_at(datetime.now(UTC), 10))
    assert missing == ()
    assert forms_emails(app, visit.id) == []


def test_without_an_email_address_the_visit_is_pending_and_nothing_is_queued(
    app, staff_booked, make_user, desk
):
    patient = make_user(first_name="Paul", last_name="Phone", email="")
    visit, missing = staff_booked(patient, next_weekday_at(datetime.now(UTC), 10))

    assert missing == (Form.INTAKE, Form.CONSENT)
    assert forms_emails(app, visit.id) == []
    with app.test_request_context():
        with pytest.raises(ActionRefused, match="no email address"):
            forms_pending.resend(
                visit.id, db.session.get(User, desk.id), settings=current_settings(),
                now=datetime.now(UTC),
            )  # fmt: skip
        assert db.session.get(Appointment, visit.id).forms_link_sent_at is None
    assert forms_emails(app, visit.id) == []


def test_the_link_works_until_the_visit_or_the_configured_days_whichever_first(
    app, staff_booked, make_user
):
    now = datetime.now(UTC)
    patient = make_user()
    far = at(next_weekday(now, 20), 10)
    visit, _ = staff_booked(patient, far, now=now)
    with app.test_request_context():
        settings = current_settings()
        appointment = load(visit.id)
        token = forms_link.token_for(appointment, settings)
        assert forms_link.link_expires_at(appointment, now, settings) == now + timedelta(days=7)
        soon = load(visit.id)
        soon.starts_at = now + timedelta(days=2)
        assert forms_link.link_expires_at(soon, now, settings) == soon.starts_at
        db.session.rollback()

        def problem(when, text=token):
            return forms_link.open_link(text, settings=settings, now=when).problem

        assert problem(now + timedelta(days=6)) is None
        assert problem(now + timedelta(days=8)) is LinkProblem.EXPIRED
        assert problem(far + timedelta(minutes=1)) is LinkProblem.CLOSED
        assert problem(now, token[:-3] + "abc") is LinkProblem.INVALID
        assert problem(now, "x" * 5000) is LinkProblem.INVALID
        other = URLSafeTimedSerializer("another key", salt="visit-forms")
        assert problem(now, other.dumps({"a": visit.id, "p": patient.id})) is LinkProblem.INVALID
        mine = URLSafeTimedSerializer(settings.secret_key, salt="visit-forms")
        assert problem(now, mine.dumps({"a": visit.id, "p": patient.id + 1})) is LinkProblem.INVALID
        assert problem(now, mine.dumps({"a": True, "p": patient.id})) is LinkProblem.INVALID


def test_a_cancelled_visits_link_is_closed(app, staff_booked, make_user):
    now = datetime.now(UTC)
    visit, _ = staff_booked(make_user(), next_weekday_at(now, 10))
    with app.test_request_context():
        token = forms_link.token_for(load(visit.id), current_settings())
        appointment = db.session.get(Appointment, visit.id)
        appointment.status = AppointmentStatus.CANCELLED
        db.session.commit()
        opened = forms_link.open_link(token, settings=current_settings(), now=now)
    assert opened.problem is LinkProblem.CLOSED


def test_resend_queues_a_second_email_and_is_audited(app, staff_booked, make_user, desk):
    visit, _ = staff_booked(make_user(), next_weekday_at(datetime.now(UTC), 10))
    with app.test_request_context():
        forms_pending.resend(
            visit.id, db.session.get(User, desk.id), settings=current_settings(),
            now=datetime.now(UTC),
        )  # fmt: skip
        audited = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == visit.id)
        ).all()
    assert len(forms_emails(app, visit.id)) == 2
    assert "forms_link_resent" in audited


def test_on_paper_records_who_and_when_and_leaves_the_list(app, staff_booked, make_user, desk):
    now = datetime.now(UTC)
    start = next_weekday_at(now, 10)
    visit, _ = staff_booked(make_user(), start)
    with app.test_request_context():
        settings, staff = current_settings(), db.session.get(User, desk.id)
        day = start.astimezone(CLINIC_ZONE).date()
        assert [
            r.appointment.id
            for r in forms_pending.pending_on(day, staff, settings=settings, now=now)
        ] == [visit.id]
        forms_pending.mark_on_paper(visit.id, staff, settings=settings, now=now)
        stored = db.session.get(Appointment, visit.id)
        assert (stored.forms_on_paper_at, stored.forms_on_paper_by_id) == (now, desk.id)
        assert forms_pending.pending_on(day, staff, settings=settings, now=now) == []
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "forms_on_paper")
            )
            == 1
        )


@pytest.mark.parametrize("how_many", [2, 40])
def test_the_list_costs_the_same_queries_whatever_its_size(
    app, clinic, desk, make_user, make_appointment, count_queries, how_many
):
    now = datetime.now(UTC)
    day = next_weekday(now, 3)
    with app.app_context():
        for n in range(how_many):
            patient = User(
                email=f"p{n}@example.com", password_hash="", role=Role.PATIENT,
                first_name="P", last_name=f"N{n}",
            )  # fmt: skip
            db.session.add(patient)
            db.session.flush()
            start = at(day, 0) + timedelta(minutes=15 * n)
            db.session.add(
                Appointment(
                    patient_id=patient.id, provider_id=clinic.provider.id,
                    location_id=clinic.location.id, type_id=clinic.type.id, starts_at=start,
                    ends_at=start + timedelta(minutes=10),
                    blocks_until=start + timedelta(minutes=10),
                    status=AppointmentStatus.CONFIRMED, screening_snapshot={},
                )
            )  # fmt: skip
        db.session.commit()
    with app.test_request_context():
        settings, staff = current_settings(), db.session.get(User, desk.id)
        with count_queries() as queries:
            rows = forms_pending.pending_on(day, staff, settings=settings, now=now)
            names = [row.appointment.patient.full_name for row in rows]
            providers = {row.appointment.provider.display_name for row in rows}
    assert len(names) == how_many and providers == {"Ben Durham"}
    statements = [q for q in queries if q not in ("BEGIN", "BEGIN IMMEDIATE")]
    # The audit row, the visits with their patients, types, providers and locations, the
    # current intakes, the consent version and the consents.
    assert len(statements) == 5, statements


def test_an_intake_sent_later_puts_its_precautions_on_the_booked_visit(
    app, staff_booked, make_user
):
    """The desk booked before any screening: the intake the link brings in is screened onto
    the visit, so a precaution reaches the therapist's review instead of going unseen."""
    patient = make_user(first_name="Nina", last_name="New", email="nina@example.com")
    now = datetime.now(UTC)
    visit, _ = staff_booked(patient, next_weekday_at(now, 10, days_ahead=3))
    answers = demo_data.patient_answers(
        "Nina", "New", "nina@example.com", anticoagulants="yes", anticoagulants_detail="Apixaban"
    )

    with app.app_context():
        before = db.session.get(Appointment, visit.id).revision
        db.session.expire_all()
        intakes.save_intake(db.session.get(User, patient.id), answers, now)
        stored = db.session.get(Appointment, visit.id)
        assert stored.intake_id is not None and stored.needs_review is True
        assert stored.screening_snapshot and stored.revision == before + 1
        [line] = db.session.scalars(
            select(AppointmentEvent.detail).where(
                AppointmentEvent.appointment_id == visit.id,
                AppointmentEvent.action == "intake_received",
            )
        ).all()
    assert "therapist's review" in line
