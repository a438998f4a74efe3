"""A patient whose answers need a call is on the front desk's callback list the moment the
intake is saved, booked or not; the desk logs calls and closes it, all on record. An urgent
request waits for a logged call before it can be confirmed."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from intake.domain.screening import rule_for
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Callback,
    CallLog,
    OutboxMessage,
)
from intake.permissions import Role
from tests.conftest import persist
from tests.support.answers import form_answers
from tests.support.clock import next_weekday_at
from tests.support.desk import signed_in
from tests.support.mailbox import deliver_outbox

NIGHT_PAIN = rule_for("night_pain").reason
NEEDLE_PHOBIA = rule_for("needle_phobia").reason


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


def fill_intake(client, **answers):
    body = {k: v for k, v in form_answers(**answers).items() if v is not None}
    answer = client.post("/intake", data=body)
    assert answer.status_code == 302, "the intake was not saved"
    return answer


def callbacks_of(app, patient) -> list[Callback]:
    with app.app_context():
        found = db.session.scalars(
            select(Callback).where(Callback.patient_id == patient.id).order_by(Callback.id)
        ).all()
        db.session.expunge_all()
    return list(found)


def listed_names(page: str) -> list[str]:
    return re.findall(r'<a href="/staff/callbacks/\d+">([^<]+)</a>', page)


def audit_actions(app, patient) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.patient_id == patient.id)
                .order_by(AuditEvent.id)
            )
        )


# --- opened by the patient's answers ------------------------------------------------------


def test_a_red_flag_patient_who_never_books_is_on_the_desk_list_at_once(
    app, make_user, desk, smtp_server
):
    patient = make_user(first_name="Rosa", last_name="Flag", email="rosa@example.com")
    fill_intake(signed_in(app, patient), night_pain="yes")

    page = signed_in(app, desk).get("/staff/callbacks")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert listed_names(text) == ["Rosa Flag"]
    assert NIGHT_PAIN in text
    assert "Urgent" in text
    assert "(919) 555-0142" in text and "rosa@example.com" in text
    [callback] = callbacks_of(app, patient)
    assert (callback.urgent, callback.blocks_booking, callback.status) == (True, False, "open")
    assert callback.finding_keys == ["night_pain"]


def test_the_urgent_email_reaches_the_desk_with_a_link_and_no_health_answers(
    app, make_user, smtp_server
):
    patient = make_user(first_name="Rosa", last_name="Flag")
    fill_intake(signed_in(app, patient), night_pain="yes", fever="yes")
    assert smtp_server.messages == []  # queued in the save's transaction, sent by the worker

    assert deliver_outbox(app).sent == 1

    [message] = smtp_server.messages
    assert message["To"] == "frontdesk@example.org"
    assert message["Subject"].startswith("URGENT")
    body = message.get_content()
    [callback] = callbacks_of(app, patient)
    assert f"http://localhost/staff/callbacks/{callback.id}" in body
    for secret in (NIGHT_PAIN, rule_for("fever").reason, "night", "fever", "Rosa", "Flag"):
        assert secret.lower() not in body.lower()


def test_an_absolute_finding_opens_a_callback_that_is_not_urgent(app, make_user, desk):
    patient = make_user(first_name="Nell", last_name="Needles")
    fill_intake(signed_in(app, patient), needle_phobia="yes")

    [callback] = callbacks_of(app, patient)
    assert (callback.urgent, callback.blocks_booking) == (False, True)
    with app.app_context():
        [subject] = db.session.scalars(select(OutboxMessage.subject)).all()
    assert not subject.startswith("URGENT")
    text = signed_in(app, desk).get("/staff/callbacks").get_data(as_text=True)
    assert NEEDLE_PHOBIA in text and "Cannot book online" in text


def test_saving_again_updates_the_open_callback_instead_of_adding_one(app, make_user):
    patient = make_user()
    client = signed_in(app, patient)
    fill_intake(client, needle_phobia="yes")
    fill_intake(client, needle_phobia="yes", night_pain="yes")
    fill_intake(client, needle_phobia="yes")

    [callback] = callbacks_of(app, patient)
    assert callback.finding_keys == ["needle_phobia", "night_pain"]
    assert (callback.urgent, callback.blocks_booking) == (True, True)
    with app.app_context():
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
    # One email when it opened, one more when it turned urgent; none for the third save.
    assert len(subjects) == 2 and subjects[1].startswith("URGENT")


def test_plain_answers_open_no_callback(app, make_user):
    patient = make_user()
    fill_intake(signed_in(app, patient), anticoagulants="yes", anticoagulants_detail="Apixaban")
    assert callbacks_of(app, patient) == []


def test_the_patient_is_told_when_we_will_call_our_number_and_when_to_call_911(
    app, make_user, make_app
):
    patient = make_user()
    client = signed_in(app, patient)
    fill_intake(client, night_pain="yes")
    app.config["INTAKE_CALLBACK_PROMISE"] = "by the end of the next working day"

    page = client.get("/intake/outcome").get_data(as_text=True)

    assert "will call you by the end of the next working day" in page
    assert 'href="tel:+19195550100"' in page
    assert "chest pain" in page and "call 911" in page


# --- worked by the desk -------------------------------------------------------------------


@pytest.fixture
def waiting(app, make_user, make_intake):
    """A patient with a red flag, waiting for a call."""
    patient = make_user(first_name="Rosa", last_name="Flag")
    make_intake(patient, night_pain="yes")
    [callback] = callbacks_of(app, patient)
    return patient, callback


def test_the_desk_logs_a_call_and_closes_the_callback_all_on_record(app, desk, waiting):
    patient, callback = waiting
    client = signed_in(app, desk)
    url = f"/staff/callbacks/{callback.id}"
    assert "No call logged yet." in client.get(url).get_data(as_text=True)

    answer = client.post(
        f"{url}/call",
        data={"outcome": "spoke_with_patient", "advice": "See your doctor this week."},
    )
    assert answer.status_code == 302
    client.post(f"{url}/call", data={"outcome": "no_answer", "advice": ""})
    answer = client.post(
        f"{url}/close", data={"outcome": "referred_to_doctor", "note": "GP appointment Friday."}
    )
    assert answer.status_code == 302

    page = client.get(url).get_data(as_text=True)
    assert "Referred to their doctor" in page and "GP appointment Friday." in page
    assert "See your doctor this week." in page and "Dana Reyes" in page
    assert "Log the call" not in page  # closed: nothing more to do here
    assert "Rosa Flag" not in client.get("/staff/callbacks").get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEvent.actor_id).where(AuditEvent.action == "viewed_callbacks")
            )
            == desk.id
        )
    with app.app_context():
        calls = db.session.scalars(select(CallLog).order_by(CallLog.id)).all()
        assert [(c.outcome, c.by_id, c.callback_id, c.patient_id) for c in calls] == [
            ("spoke_with_patient", desk.id, callback.id, patient.id),
            ("no_answer", desk.id, callback.id, patient.id),
        ]
        closed = db.session.get(Callback, callback.id)
        assert (closed.status, closed.outcome, closed.closed_by_id) == (
            "closed",
            "referred_to_doctor",
            desk.id,
        )
    assert audit_actions(app, patient) == [
        "viewed_callback",
        "logged_call",
        "logged_call",
        "closed_callback",
        "viewed_callback",
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"outcome": "spoke_with_patient", "advice": ""}, "Write down the advice"),
        ({"advice": "Hello"}, "Choose how the call went."),
        ({"outcome": "shouted"}, "Not a valid choice"),
    ],
)
def test_a_call_without_what_it_needs_gets_a_form_error(app, desk, waiting, form, message):
    _, callback = waiting
    answer = signed_in(app, desk).post(f"/staff/callbacks/{callback.id}/call", data=form)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(CallLog)).all() == []


def test_closing_as_other_needs_a_note_and_a_closed_callback_stays_closed(app, desk, waiting):
    _, callback = waiting
    client = signed_in(app, desk)
    url = f"/staff/callbacks/{callback.id}/close"
    answer = client.post(url, data={"outcome": "other", "note": ""})
    assert answer.status_code == 400
    assert "Say what happened in the note." in answer.get_data(as_text=True)

    log_a_call(client, callback)  # urgent: a call comes first
    assert client.post(url, data={"outcome": "cleared_to_book"}).status_code == 302
    again = client.post(url, data={"outcome": "not_suitable"})
    assert again.status_code == 409
    assert "already closed" in again.get_data(as_text=True)
    page = client.get(f"/staff/callbacks/{callback.id}").get_data(as_text=True)
    assert "cleared to book" in page.lower() and "(919) 555-0142" in page


def log_a_call(client, callback) -> None:
    answer = client.post(
        f"/staff/callbacks/{callback.id}/call", data={"outcome": "no_answer", "advice": ""}
    )
    assert answer.status_code == 302


def test_an_urgent_callback_closes_only_after_a_call_and_keeps_what_was_typed(app, desk, waiting):
    patient, callback = waiting
    client = signed_in(app, desk)
    url = f"/staff/callbacks/{callback.id}/close"

    refused = client.post(url, data={"outcome": "referred_to_doctor", "note": "GP on Friday."})

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Log a call with the patient before closing an urgent callback." in page
    assert "GP on Friday." in page
    assert re.search(r'<input checked[^>]*value="referred_to_doctor"', page)
    assert callbacks_of(app, patient)[0].status == "open"
    assert "closed_callback" not in audit_actions(app, patient)

    log_a_call(client, callback)  # no answer: tried, on record, is enough to close
    assert client.post(url, data={"outcome": "could_not_reach"}).status_code == 302
    assert callbacks_of(app, patient)[0].status == "closed"


def test_a_callback_that_is_not_urgent_closes_without_a_call(app, make_user, desk):
    patient = make_user(first_name="Abe", last_name="Solute")
    fill_intake(signed_in(app, patient), needle_phobia="yes")
    [callback] = callbacks_of(app, patient)
    assert not callback.urgent

    answer = signed_in(app, desk).post(
        f"/staff/callbacks/{callback.id}/close", data={"outcome": "not_suitable"}
    )

    assert answer.status_code == 302


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST])
def test_patients_and_therapists_cannot_reach_the_callbacks(app, make_user, waiting, role):
    patient, callback = waiting
    visitor = patient if role is Role.PATIENT else make_user(role)
    client = signed_in(app, visitor)
    for url in ("/staff/callbacks", f"/staff/callbacks/{callback.id}"):
        assert client.get(url).status_code == 403
    answer = client.post(f"/staff/callbacks/{callback.id}/call", data={"outcome": "no_answer"})
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(CallLog)).all() == []


def test_an_admin_works_the_callbacks_too(app, make_user, waiting):
    _, callback = waiting
    client = signed_in(app, make_user(Role.ADMIN))
    assert client.get(f"/staff/callbacks/{callback.id}").status_code == 200


def test_the_list_puts_urgent_first_then_the_oldest_and_marks_overdue(
    app, desk, make_user, make_app
):
    now = datetime.now(UTC)
    rows = [
        ("Old", "Blocked", False, timedelta(days=9)),
        ("New", "Urgent", True, timedelta(minutes=5)),
        ("Old", "Urgent", True, timedelta(days=9)),
    ]
    for first, last, urgent, age in rows:
        patient = make_user(first_name=first, last_name=last)
        persist(
            app,
            Callback(
                patient_id=patient.id,
                urgent=urgent,
                blocks_booking=not urgent,
                finding_keys=["night_pain" if urgent else "needle_phobia"],
                opened_at=now - age,
            ),
        )
    page = signed_in(app, desk).get("/staff/callbacks").get_data(as_text=True)

    assert listed_names(page) == ["Old Urgent", "New Urgent", "Old Blocked"]
    rows_html = page.split("<tbody>")[1].split("</tr>")
    assert "Overdue" in rows_html[0] and "Overdue" not in rows_html[1]


def test_the_list_runs_the_same_number_of_queries_for_3_or_60_callbacks(
    app, desk, make_user, count_queries
):
    client = signed_in(app, desk)

    def add(count: int):
        for _ in range(count):
            patient = make_user()
            persist(app, Callback(patient_id=patient.id, urgent=True, finding_keys=["fever"]))

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/staff/callbacks").status_code == 200
        return len(statements)

    add(3)
    client.get("/staff/callbacks")  # warm up
    three = queries()
    add(57)
    sixty = queries()
    page = client.get("/staff/callbacks").get_data(as_text=True)
    assert len(listed_names(page)) == 50 and "Page 1 of 2" in page
    assert three == sixty
    assert sixty <= 10


def test_a_call_log_cannot_be_changed_or_removed_at_the_database(app, desk, waiting):
    _, callback = waiting
    signed_in(app, desk).post(
        f"/staff/callbacks/{callback.id}/call", data={"outcome": "left_message"}
    )
    for statement in (update(CallLog).values(advice="rewritten"), delete(CallLog)):
        with app.app_context():
            with pytest.raises(IntegrityError):
                db.session.execute(statement)
                db.session.commit()
            db.session.rollback()
    with app.app_context():
        [call] = db.session.scalars(select(CallLog)).all()
        assert call.advice == ""


# --- urgent requests wait for a call ------------------------------------------------------


@pytest.fixture
def urgent_request(app, clinic, ready_patient, make_appointment):
    patient = ready_patient(night_pain="yes")
    return make_appointment(
        patient,
        clinic.provider,
        clinic.location,
        clinic.type,
        next_weekday_at(datetime.now(UTC), 10, days_ahead=3),
        urgent=True,
        created_at=datetime.now(UTC) - timedelta(days=3),
    )


def patient_of(appointment) -> SimpleNamespace:
    return SimpleNamespace(id=appointment.patient_id)


def status_of(app, appointment) -> str:
    with app.app_context():
        return db.session.get(Appointment, appointment.id).status


def test_an_urgent_request_is_confirmed_only_after_a_call_is_logged(app, desk, urgent_request):
    client = signed_in(app, desk)
    url = f"/staff/requests/{urgent_request.id}"
    page = client.get(url).get_data(as_text=True)
    assert "log a call with the patient before confirming" in page
    assert "Overdue" in client.get("/staff/requests").get_data(as_text=True)

    refused = client.post(f"{url}/confirm", data={"revision": "1"})
    assert refused.status_code == 409
    assert "Log a call with the patient before confirming an urgent request." in (
        refused.get_data(as_text=True)
    )
    assert status_of(app, urgent_request) == AppointmentStatus.REQUESTED

    answer = client.post(
        f"{url}/call", data={"outcome": "spoke_with_patient", "advice": "No new symptoms."}
    )
    assert answer.status_code == 302
    assert "No new symptoms." in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/confirm", data={"revision": "1"}).status_code == 302
    assert status_of(app, urgent_request) == AppointmentStatus.CONFIRMED
    with app.app_context():
        [call] = db.session.scalars(select(CallLog)).all()
        # One call counts for the request and for the patient's open callback.
        assert call.appointment_id == urgent_request.id and call.callback_id is not None


def test_a_call_on_the_patients_callback_lets_the_urgent_request_be_confirmed(
    app, desk, urgent_request
):
    client = signed_in(app, desk)
    [callback] = callbacks_of(app, patient_of(urgent_request))
    client.post(f"/staff/callbacks/{callback.id}/call", data={"outcome": "no_answer"})
    client.post(f"/staff/callbacks/{callback.id}/close", data={"outcome": "could_not_reach"})

    answer = client.post(f"/staff/requests/{urgent_request.id}/confirm", data={"revision": "1"})

    assert answer.status_code == 302
    assert status_of(app, urgent_request) == AppointmentStatus.CONFIRMED


def test_a_call_before_the_request_was_made_does_not_count(app, desk, urgent_request):
    [callback] = callbacks_of(app, patient_of(urgent_request))
    with app.app_context():
        db.session.add(
            CallLog(
                callback_id=callback.id,
                patient_id=urgent_request.patient_id,
                outcome="spoke_with_patient",
                advice="Earlier.",
                by_id=desk.id,
                at=urgent_request.created_at - timedelta(hours=1),
            )
        )
        db.session.commit()
    answer = signed_in(app, desk).post(
        f"/staff/requests/{urgent_request.id}/confirm", data={"revision": "1"}
    )
    assert answer.status_code == 409


def test_the_queue_counts_open_urgent_callbacks(app, desk, waiting):
    page = signed_in(app, desk).get("/staff/requests").get_data(as_text=True)
    assert "1 urgent callback" in page
