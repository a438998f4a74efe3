"""The desk books a caller who has not filled in their forms: the visit is booked "forms
pending", the patient gets one email whose link opens the intake and the consent for that
visit (signing in, or choosing a first password), and the desk sees the list, resends the
link or marks "completing on paper at arrival"."""

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from intake.config import current_settings
from intake.domain.consent import ACKNOWLEDGEMENTS
from intake.extensions import db
from intake.formatting import phone_display
from intake.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Callback,
    OutboxMessage,
    User,
)
from intake.permissions import Role
from intake.services import forms_pending
from intake.services.changes import load
from tests.conftest import PASSWORD
from tests.support.answers import form_answers
from tests.support.clock import CLINIC_ZONE, at, next_weekday, next_weekday_at
from tests.views.test_callback_booking import booking, call_and_clear, callback_of, signed_in


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


@pytest.fixture
def staff_booked(app, clinic, desk, make_appointment, consent_v1):
    """A confirmed visit the desk booked, through the hook every staff booking calls."""

    def build(patient, starts_at):
        visit = make_appointment(
            patient,
            clinic.provider,
            clinic.location,
            clinic.type,
            starts_at,
            status=AppointmentStatus.CONFIRMED,
        )
        with app.test_request_context():
            forms_pending.after_staff_booking(
                load(visit.id),
                db.session.get(User, desk.id),
                settings=current_settings(),
                now=datetime.now(UTC),
            )
            db.session.commit()
        return visit

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


def link_path(email: OutboxMessage) -> str:
    return re.search(r"https?://[^/\s]+(/forms/\S+)", email.body)[1]


def signing(app) -> dict:
    with app.app_context():
        from intake.services.consents import current_version

        version_id = current_version().id
    form = {"version_id": str(version_id), "typed_name": "Maria Lopez", "signature": ""}
    return form | {f"ack_{a.key}": "y" for a in ACKNOWLEDGEMENTS}


def visit_of(app, appointment_id: int) -> Appointment:
    with app.app_context():
        visit = db.session.get(Appointment, appointment_id)
        db.session.expunge(visit)
    return visit


def tomorrowish(now):
    return next_weekday_at(now, 10, days_ahead=3)


def test_the_link_opens_the_intake_then_the_consent_then_says_the_forms_are_done(
    app, client, staff_booked, make_user
):
    patient = make_user(first_name="Maria", last_name="Lopez", email="maria@example.com")
    visit = staff_booked(patient, tomorrowish(datetime.now(UTC)))
    [email] = forms_emails(app, visit.id)
    path = link_path(email)

    to_login = client.get(path)
    assert to_login.status_code == 302
    assert to_login.headers["Location"] == f"/account/login?next={path}"
    signed = client.post(
        to_login.headers["Location"], data={"email": patient.email, "password": PASSWORD}
    )
    assert signed.headers["Location"] == path

    to_intake = client.get(path)
    assert to_intake.headers["Location"].startswith("/intake?next=")
    saved = client.post(to_intake.headers["Location"], data=form_answers())
    assert saved.status_code == 302
    outcome = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Continue with the forms for your visit" in outcome
    to_consent = client.get(path)
    assert to_consent.headers["Location"].startswith("/consent?next=")
    signed_consent = client.post(to_consent.headers["Location"], data=signing(app))
    assert signed_consent.headers["Location"] == path

    done = client.get(path)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "Forms done for your visit on" in text
    assert "Ben Durham" in text
    with app.app_context():
        assert (
            forms_pending.missing_now(
                load(visit.id), settings=current_settings(), now=datetime.now(UTC)
            )
            == ()
        )


def test_a_patient_the_desk_created_without_a_password_chooses_one_first(
    app, client, staff_booked, make_user
):
    patient = make_user(first_name="Walt", last_name="Walkin", password_hash="")
    visit = staff_booked(patient, tomorrowish(datetime.now(UTC)))
    path = link_path(forms_emails(app, visit.id)[0])

    to_password = client.get(path)
    assert to_password.headers["Location"] == f"{path}/password"
    page = client.get(f"{path}/password").get_data(as_text=True)
    assert "Choose a password" in page and "Walt" in page
    mismatch = client.post(
        f"{path}/password", data={"password": "a long new password", "confirm": "another one"}
    )
    assert mismatch.status_code == 200
    assert "The two passwords are not the same." in mismatch.get_data(as_text=True)

    chosen = client.post(
        f"{path}/password",
        data={"password": "a long new password", "confirm": "a long new password"},
    )

    assert chosen.headers["Location"] == path
    assert client.get(path).headers["Location"].startswith("/intake?next=")  # signed in
    with app.app_context():
        stored = db.session.get(User, patient.id)
        assert stored.password_hash != ""
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "password_set_from_forms_link")
        )
    again = app.test_client().post(
        f"{path}/password", data={"password": "a takeover try!!", "confirm": "a takeover try!!"}
    )
    assert again.headers["Location"] == path  # the account has a password now: sign in


def test_someone_elses_link_while_signed_in_is_refused_with_404(app, staff_booked, make_user):
    owner = make_user(first_name="Olga", last_name="Owner")
    visit = staff_booked(owner, tomorrowish(datetime.now(UTC)))
    path = link_path(forms_emails(app, visit.id)[0])
    other = make_user(first_name="Ivan", last_name="Other")

    answer = signed_in(app, other).get(path)

    assert answer.status_code == 404
    text = answer.get_data(as_text=True)
    assert "This link is for another account" in text
    assert "Olga" not in text


def test_a_tampered_or_expired_link_says_so_and_gives_the_clinics_number(
    app, client, staff_booked, make_user
):
    patient = make_user()
    visit = staff_booked(patient, tomorrowish(datetime.now(UTC)))
    path = link_path(forms_emails(app, visit.id)[0])
    phone = phone_display(app.config["INTAKE_CLINIC_PHONE"])

    tampered = client.get(path[:-4] + "abcd")
    assert tampered.status_code == 400
    assert "This link does not work" in tampered.text and phone in tampered.text

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 24 * 3600

    old = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="visit-forms", signer=EightDaysAgo
    ).dumps({"a": visit.id, "p": patient.id})
    expired = client.get(f"/forms/{old}")
    assert expired.status_code == 410
    assert "This link has expired" in expired.text and phone in expired.text


def test_a_cancelled_visits_link_answers_a_clear_page(app, client, staff_booked, make_user):
    visit = staff_booked(make_user(), tomorrowish(datetime.now(UTC)))
    path = link_path(forms_emails(app, visit.id)[0])
    with app.app_context():
        db.session.get(Appointment, visit.id).status = AppointmentStatus.CANCELLED
        db.session.commit()

    answer = client.get(path)

    assert answer.status_code == 410
    assert "has been cancelled" in answer.text


def test_an_absolute_finding_in_the_new_intake_opens_a_callback_and_cancels_nothing(
    app, client, staff_booked, make_user
):
    patient = make_user(first_name="Maria", last_name="Lopez")
    visit = staff_booked(patient, tomorrowish(datetime.now(UTC)))
    path = link_path(forms_emails(app, visit.id)[0])
    client.post("/account/login", data={"email": patient.email, "password": PASSWORD})

    saved = client.post(
        client.get(path).headers["Location"],
        data=form_answers(needle_phobia="yes", needle_phobia_detail="I faint at the sight."),
    )
    assert saved.status_code == 302

    done = client.get(path)
    assert done.status_code == 200
    assert "We will call you about your visit" in done.text
    with app.app_context():
        callback = db.session.scalars(
            select(Callback).where(Callback.patient_id == patient.id)
        ).one()
        assert callback.blocks_booking and callback.status == "open"
    assert visit_of(app, visit.id).status == AppointmentStatus.CONFIRMED


def test_the_desk_books_a_cleared_caller_without_consent_forms_pending_with_one_email(
    app, clinic, desk, make_user, make_intake, consent_v1
):
    """The callback path: a red flag cleared by phone, no consent signed yet."""
    patient = make_user(first_name="Nico", last_name="Unsigned", email="nico@example.com")
    make_intake(patient, night_pain="yes")
    callback = callback_of(app, patient)
    client = signed_in(app, desk)
    call_and_clear(client, callback.id)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)

    answer = client.post(f"/staff/callbacks/{callback.id}/book", data=booking(clinic, start))

    assert answer.status_code == 302
    appointment_id = int(re.search(r"/staff/requests/(\d+)", answer.headers["Location"])[1])
    assert visit_of(app, appointment_id).status == AppointmentStatus.CONFIRMED
    [email] = forms_emails(app, appointment_id)
    assert email.recipient == "nico@example.com"
    assert "consent for dry needling" in email.body
    assert "health questionnaire" not in email.body  # the intake is there
    page = client.get(answer.headers["Location"]).text
    assert "Forms pending" in page and "Still missing: consent for dry needling." in page


def test_the_desk_resends_the_link_and_marks_paper_from_the_visit_and_the_list(
    app, staff_booked, make_user, desk
):
    start = at(next_weekday(datetime.now(UTC), 3), 10)
    patient = make_user(first_name="Rita", last_name="Resend")
    visit = staff_booked(patient, start)
    client = signed_in(app, desk)
    day = start.astimezone(CLINIC_ZONE).date().isoformat()

    listed = client.get(f"/staff/forms-pending?date={day}").text
    assert "Rita Resend" in listed and "Health questionnaire" in listed and "Sent " in listed
    page = client.get(f"/staff/requests/{visit.id}").text
    assert "Resend forms link" in page and "Completing on paper at arrival" in page

    resent = client.post(f"/staff/requests/{visit.id}/forms-link")
    assert resent.headers["Location"] == f"/staff/requests/{visit.id}"
    assert len(forms_emails(app, visit.id)) == 2
    assert "A new forms link has been emailed" in client.get(resent.headers["Location"]).text

    back = f"/staff/forms-pending?date={day}"
    paper = client.post(f"/staff/requests/{visit.id}/forms-on-paper?next={quote(back)}")
    assert paper.headers["Location"] == back
    assert "Rita Resend" not in client.get(back).text
    page = client.get(f"/staff/requests/{visit.id}").text
    assert "Completing on paper at arrival</strong>, marked by Dana Reyes" in page
    with app.app_context():
        actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == visit.id))
        )
    assert {"forms_link_resent", "forms_on_paper"} <= actions


def test_resending_without_an_email_is_refused_in_words(app, staff_booked, make_user, desk):
    visit = staff_booked(make_user(email=""), tomorrowish(datetime.now(UTC)))
    client = signed_in(app, desk)

    answer = client.post(f"/staff/requests/{visit.id}/forms-link", follow_redirects=True)

    assert "This patient has no email address" in answer.text
    assert forms_emails(app, visit.id) == []


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST])
def test_only_the_desk_and_admins_act_on_forms(app, staff_booked, make_user, role):
    visit = staff_booked(make_user(), tomorrowish(datetime.now(UTC)))
    client = signed_in(app, make_user(role))
    assert client.get("/staff/forms-pending").status_code == 403
    assert client.post(f"/staff/requests/{visit.id}/forms-on-paper").status_code == 403
    assert visit_of(app, visit.id).forms_on_paper_at is None


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_list_page_costs_the_same_queries_whatever_its_size(
    app, clinic, desk, count_queries, how_many
):
    day = next_weekday(datetime.now(UTC), 3)
    with app.app_context():
        for n in range(how_many):
            patient = User(
                email=f"p{n}@example.com",
                password_hash="",
                role=Role.PATIENT,
                first_name="Pat",
                last_name=f"Number{n}",
            )
            db.session.add(patient)
            db.session.flush()
            start = at(day, 0) + timedelta(minutes=15 * n)
            db.session.add(
                Appointment(
                    patient_id=patient.id,
                    provider_id=clinic.provider.id,
                    location_id=clinic.location.id,
                    type_id=clinic.type.id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=10),
                    blocks_until=start + timedelta(minutes=10),
                    status=AppointmentStatus.CONFIRMED,
                    screening_snapshot={},
                )
            )
        db.session.commit()
    client = signed_in(app, desk)

    with count_queries() as queries:
        html = client.get(f"/staff/forms-pending?date={day.isoformat()}").text

    assert html.count("Pat Number") == how_many
    statements = [q for q in queries if q not in ("BEGIN", "BEGIN IMMEDIATE")]
    assert len(statements) == STATEMENTS, statements


STATEMENTS = 7
