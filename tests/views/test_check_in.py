"""After a dry-needling visit: one aftercare email, one check-in a day later, and the patient's
answers reach the therapist, or, when they point to a collapsed lung, the emergency advice
at once and a person at the clinic who will call."""

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from intake.config import current_settings
from intake.extensions import db
from intake.models import AppointmentStatus, Callback, CheckIn, OutboxMessage, Provider, User
from intake.permissions import Role
from intake.services import aftercare, changes
from intake.services.changes import Change

YES_TO_NOTHING = {
    "soreness": "4",
    "bruising": "yes",
    "dizziness": "no",
    "short_of_breath": "no",
    "chest_pain": "no",
    "dry_cough": "no",
    "comments": "Calf a little stiff.",
}
NEW_YORK = ZoneInfo("America/New_York")
LINK = re.compile(r"http://localhost(/check-in/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def completed_visit(app, book, make_user):
    """A dry-needling visit that ended yesterday, marked completed by its therapist then."""

    def build(dry_needling: bool = True, hours_ago: float = 25):
        patient = make_user(Role.PATIENT, first_name="Maria", email=f"maria{id(object())}@x.org")
        now = datetime.now(UTC)
        completed_at = now - timedelta(hours=hours_ago)
        visit = book(completed_at - timedelta(hours=1), patient=patient)
        with app.app_context():
            if not dry_needling:
                db.session.merge(visit).type.involves_dry_needling = False
                db.session.commit()
            therapist = db.session.scalars(select(User).where(User.role == Role.THERAPIST)).first()
            changes.apply(
                visit.id,
                visit.revision,
                Change("completed", AppointmentStatus.COMPLETED),
                therapist or patient,
                settings=current_settings(),
                now=completed_at,
            )
        return visit, patient

    return build


def outbox_kinds(app, appointment_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.kind)
                .where(OutboxMessage.appointment_id == appointment_id)
                .order_by(OutboxMessage.id)
            )
        )


def run_worker(runner) -> str:
    result = runner.invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_completing_a_needling_visit_sends_aftercare_once_and_the_check_in_a_day_later(
    app, runner, smtp_server, completed_visit
):
    visit, patient = completed_visit(hours_ago=25)

    first, second = run_worker(runner), run_worker(runner)
    assert "check-ins queued 1" in first
    assert "check-ins queued 0" in second
    mine = [m for m in smtp_server.messages if m["To"] == patient.email]
    assert sorted(m["Subject"] for m in mine) == [
        "After your dry needling visit: what to expect",
        "How are you feeling after your visit?",
    ]
    aftercare_email = next(m for m in mine if "expect" in m["Subject"])
    text = aftercare_email.get_content()
    assert "Call 911 or go to an emergency department" in text
    assert "short of breath" in text and "chest pain" in text and "dry cough" in text
    assert "(919) 555-0100" in text  # the clinic's number, as patients read it
    assert not list(aftercare_email.iter_attachments())  # no calendar file for aftercare
    check_in_email = next(m for m in mine if "feeling" in m["Subject"])
    assert LINK.search(check_in_email.get_content())
    assert outbox_kinds(app, visit.id) == ["aftercare", "check_in"]


def test_the_check_in_waits_until_it_is_due(app, runner, completed_visit):
    visit, _ = completed_visit(hours_ago=2)
    assert "check-ins queued 0" in run_worker(runner)
    assert outbox_kinds(app, visit.id) == ["aftercare"]
    with app.app_context():
        check_in = db.session.scalars(
            select(CheckIn).where(CheckIn.appointment_id == visit.id)
        ).one()
        assert check_in.due_at == check_in.created_at + timedelta(hours=24)
        assert check_in.sent_at is None


def test_a_check_in_too_old_to_ask_about_is_not_sent(app, runner, completed_visit):
    visit, _ = completed_visit(hours_ago=24 * 9)  # due 8 days ago; links live 7 days
    assert "check-ins queued 0" in run_worker(runner)
    assert outbox_kinds(app, visit.id) == ["aftercare"]


def test_a_visit_without_needling_gets_no_aftercare_or_check_in(app, runner, completed_visit):
    visit, _ = completed_visit(dry_needling=False)
    run_worker(runner)
    assert outbox_kinds(app, visit.id) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def check_in_link(runner, smtp_server, patient) -> str:
    run_worker(runner)
    [email] = [
        m for m in smtp_server.messages if m["To"] == patient.email and "feeling" in m["Subject"]
    ]
    return LINK.search(email.get_content())[1]


def test_the_patient_answers_from_the_link_and_the_therapist_reads_it(
    app, client, runner, smtp_server, completed_visit, login_as
):
    visit, patient = completed_visit()
    link = check_in_link(runner, smtp_server, patient)

    form = client.get(link)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "How are you after your visit?" in html
    assert "Call 911 or go to an emergency department" in html  # shown before any answer

    # Sent half-filled: every answer kept, each missing one named.
    partial = client.post(link, data={"soreness": "4", "bruising": "yes"})
    assert partial.status_code == 200
    page = partial.get_data(as_text=True)
    assert page.count("Choose yes or no.") >= 4
    assert 'value="4"' in page and "Error:" in page

    done = client.post(link, data=YES_TO_NOTHING)
    assert (done.status_code, done.location) == (303, link)  # a reload shows, never resends
    assert "Thank you" in client.get(link).get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalars(select(CheckIn).where(CheckIn.appointment_id == visit.id)).one()
        assert (stored.soreness, stored.bruising, stored.dizziness) == (4, True, False)
        assert stored.alarming is False and stored.answered_at is not None

    # Answered once: a second send changes nothing.
    again = client.post(link, data={**YES_TO_NOTHING, "soreness": "9"}, follow_redirects=True)
    assert "Thank you" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(CheckIn.soreness)).one() == 4

    # The therapist sees it on the visit's day and in the patient's record.
    with app.app_context():
        therapist = db.session.scalars(
            select(User)
            .join(Provider, Provider.user_id == User.id)
            .where(Provider.id == visit.provider_id)
        ).one()
        db.session.expunge(therapist)
    login_as(therapist)
    day = visit.starts_at.astimezone(NEW_YORK).date().isoformat()
    schedule = client.get(f"/schedule?view=day&date={day}&show=all").get_data(as_text=True)
    assert "soreness 4/10" in schedule and "bruising" in schedule
    assert "Calf a little stiff." in schedule
    record = client.get(f"/records/patients/{patient.id}").get_data(as_text=True)
    assert "Check-ins after needling visits" in record and "soreness 4/10" in record


def test_a_breathing_or_chest_answer_shows_the_emergency_advice_and_opens_an_urgent_callback(
    app, client, runner, smtp_server, completed_visit, make_user, login_as
):
    visit, patient = completed_visit()
    link = check_in_link(runner, smtp_server, patient)

    answered = client.post(
        link, data={**YES_TO_NOTHING, "chest_pain": "yes"}, follow_redirects=True
    )
    html = answered.get_data(as_text=True)
    assert "Please get help now" in html
    assert "Call 911 or go to an emergency department now" in html
    with app.app_context():
        assert db.session.scalars(select(CheckIn.alarming)).one() is True
        [callback] = db.session.scalars(select(Callback)).all()
        assert (callback.patient_id, callback.urgent, callback.status) == (patient.id, True, "open")
        assert (callback.source, callback.appointment_id) == ("check_in", visit.id)

    # The front desk is told at once that someone needs an urgent call, with no health answers.
    run_worker(runner)
    [alert] = [m for m in smtp_server.messages if m["Subject"].startswith("URGENT")]
    body = alert.get_content()
    assert f"/staff/callbacks/{callback.id}" in body
    assert "chest" not in body.lower() and "Maria" not in body

    # And finds the patient at the top of the callbacks, the finding in words.
    client.post("/account/logout")
    login_as(make_user(Role.FRONT_DESK))
    desk = client.get("/staff/callbacks").get_data(as_text=True)
    assert "chest pain" in desk and "collapsed lung" in desk


def test_answers_without_breathing_or_chest_symptoms_open_no_callback(
    app, client, runner, smtp_server, completed_visit
):
    _, patient = completed_visit()
    link = check_in_link(runner, smtp_server, patient)
    client.post(link, data={**YES_TO_NOTHING, "soreness": "8", "dizziness": "yes"})
    with app.app_context():
        assert db.session.scalars(select(CheckIn.alarming)).one() is False
        assert db.session.scalars(select(Callback)).all() == []


@pytest.mark.parametrize("spoil", ["tampered", "expired"])
def test_a_spoiled_link_says_so_and_shows_nothing(
    app, client, runner, smtp_server, completed_visit, spoil
):
    _, patient = completed_visit()
    link = check_in_link(runner, smtp_server, patient)
    if spoil == "tampered":
        link = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    else:  # the same link, as if signed eight days ago: links live seven
        token = link.rsplit("/", 1)[1]
        link = "/check-in/" + signed_days_ago(app, token, 8)
    response = client.get(link)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "This link no longer works" in html
    assert "Maria" not in html


def signed_days_ago(app, token: str, days: int) -> str:
    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * 86400

    key = app.config["SECRET_KEY"]
    check_in_id = URLSafeTimedSerializer(key, salt="check-in").loads(token)
    return URLSafeTimedSerializer(key, salt="check-in", signer=Backdated).dumps(check_in_id)


def test_signed_in_patients_answer_their_own_check_in_and_no_one_elses(
    app, client, runner, smtp_server, completed_visit, login_as, make_user
):
    visit, patient = completed_visit()
    run_worker(runner)
    login_as(patient)
    page = client.get(f"/account/appointments/{visit.id}")
    assert "Answer six short questions" in page.get_data(as_text=True)
    assert client.get(f"/account/appointments/{visit.id}/check-in").status_code == 200
    client.post("/account/logout")

    stranger = make_user(Role.PATIENT)
    login_as(stranger)
    assert client.get(f"/account/appointments/{visit.id}/check-in").status_code == 404
    assert (
        client.post(f"/account/appointments/{visit.id}/check-in", data=YES_TO_NOTHING).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalars(select(CheckIn.answered_at)).one() is None


def test_a_check_in_not_yet_sent_cannot_be_answered(app, client, completed_visit, login_as):
    visit, patient = completed_visit(hours_ago=1)
    login_as(patient)
    assert client.get(f"/account/appointments/{visit.id}/check-in").status_code == 404


def test_a_link_token_is_tied_to_its_own_secret(app, completed_visit, runner):
    completed_visit()
    run_worker(runner)
    with app.app_context():
        check_in = db.session.scalars(select(CheckIn)).one()
        token = aftercare.check_in_token(check_in, current_settings())
        assert aftercare.check_in_for_token(token, current_settings()).id == check_in.id
        app.config["SECRET_KEY"] = "another-secret-key-entirely"
        assert aftercare.check_in_for_token(token, current_settings()) is None
