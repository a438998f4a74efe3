"""Every safety signal ends with a person acting on it, on record, through the real forms:
a red flag from a patient who never books reaches the front desk's callbacks at once, and a
needling visit ends in a locked note, one aftercare email, and a check-in whose chest-pain
answer puts the patient back at the top of the callbacks; a serious adverse event in a signed
note is called about by a named person before its callback closes, and the admins see who."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from intake.extensions import db
from intake.models import (
    AdverseEvent,
    AppointmentStatus,
    Callback,
    CallLog,
    CheckIn,
    NeedlingNote,
    OutboxMessage,
    User,
)
from intake.permissions import Role
from tests.conftest import PASSWORD
from tests.support.answers import form_answers

NOTE = {
    "regions": ["calf_shin:right"],
    "needle_count": "6",
    "tolerance": "good",
    "twitch_response": "yes",
    "adverse_events": ["none"],
    "other_event": "",
    "aftercare": "Heat and gentle calf stretches; soreness may last two days.",
}
LINK = re.compile(r"http://localhost(/check-in/[A-Za-z0-9_.\-]+)")


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def worker(runner) -> str:
    result = runner.invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_red_flag_without_a_booking_is_called_and_closed_on_record(app, make_user):
    casey = make_user(Role.PATIENT, first_name="Casey", last_name="Ford")
    desk = make_user(Role.FRONT_DESK, email="dana@example.org")

    # Casey answers that the pain wakes them at night, and never books.
    patient = signed_in(app, casey.email)
    saved = patient.post(
        "/intake", data=form_answers(night_pain="yes", night_pain_detail="Every night")
    )
    assert saved.status_code == 302
    outcome = patient.get(saved.headers["Location"]).get_data(as_text=True)
    assert "within one working day" in outcome and "911" in outcome

    # The front desk already has the task: oldest urgent first, the finding in words.
    dana = signed_in(app, desk.email)
    waiting = dana.get("/staff/callbacks").get_data(as_text=True)
    assert "Casey Ford" in waiting
    with app.app_context():
        [callback] = db.session.scalars(select(Callback)).all()
        assert (callback.urgent, callback.status) == (True, "open")

    # Dana calls, writes down the advice, and closes the task with its outcome.
    called = dana.post(
        f"/staff/callbacks/{callback.id}/call",
        data={"outcome": "spoke_with_patient", "advice": "See your doctor this week."},
    )
    assert called.status_code == 302
    closed = dana.post(
        f"/staff/callbacks/{callback.id}/close",
        data={"outcome": "referred_to_doctor", "note": "GP appointment on Friday."},
    )
    assert closed.status_code == 302
    with app.app_context():
        [call] = db.session.scalars(select(CallLog)).all()
        assert (call.by_id, call.outcome, call.advice) == (
            desk.id,
            "spoke_with_patient",
            "See your doctor this week.",
        )
        callback = db.session.get(Callback, callback.id)
        assert (callback.status, callback.closed_by_id) == ("closed", desk.id)
    assert "Casey Ford" not in dana.get("/staff/callbacks").get_data(as_text=True)


def test_a_needling_visit_ends_in_a_locked_note_aftercare_and_a_check_in_that_is_heard(
    app, runner, smtp_server, clinic, ready_patient, make_appointment, make_user
):
    app.config["INTAKE_CHECK_IN_HOURS"] = 0  # the clinic asks at once, so the story runs now
    maria = ready_patient()
    desk = make_user(Role.FRONT_DESK, email="dana@example.org")
    visit = make_appointment(
        maria,
        clinic.provider,
        clinic.location,
        clinic.type,
        datetime.now(UTC) - timedelta(hours=1),
        status=AppointmentStatus.CONFIRMED,
    )

    # Ben writes and signs the session note: that is what completes the visit.
    ben = signed_in(app, "ben@example.org")
    signed = ben.post(
        f"/schedule/appointments/{visit.id}/note", data={"revision": visit.revision, **NOTE}
    )
    assert signed.status_code == 302
    with app.app_context():
        note = db.session.scalars(select(NeedlingNote)).one()
        assert note.appointment.status == AppointmentStatus.COMPLETED
        # Locked: the database itself refuses to change what was signed.
        with pytest.raises(DBAPIError):
            db.session.execute(text("UPDATE needling_notes SET needle_count = 1"))
        db.session.rollback()

    # The worker, run twice, sends one aftercare email and one check-in.
    worker(runner)
    worker(runner)
    to_maria = [m for m in smtp_server.messages if m["To"] == maria.email]
    subjects = sorted(m["Subject"] for m in to_maria)
    assert subjects == [
        "After your dry needling visit: what to expect",
        "How are you feeling after your visit?",
    ]
    link = LINK.search(next(m for m in to_maria if "feeling" in m["Subject"]).get_content())[1]

    # A day on, Maria's chest hurts when she breathes in: the page tells her to call 911 now.
    form = app.test_client()
    answered = form.post(
        link,
        data={
            "soreness": "5",
            "bruising": "no",
            "dizziness": "no",
            "short_of_breath": "no",
            "chest_pain": "yes",
            "dry_cough": "no",
        },
        follow_redirects=True,
    )
    assert "Call 911 or go to an emergency department now" in answered.get_data(as_text=True)

    # And the front desk has her at the top of the callbacks, urgent, in the same request.
    dana = signed_in(app, desk.email)
    waiting = dana.get("/staff/callbacks").get_data(as_text=True)
    assert "Maria Lopez" in waiting and "chest pain" in waiting
    with app.app_context():
        check_in = db.session.scalars(select(CheckIn)).one()
        callback = db.session.scalars(select(Callback)).one()
        assert check_in.alarming and callback.urgent and callback.appointment_id == visit.id
        assert db.session.get(User, callback.patient_id).email == maria.email


def test_a_serious_adverse_event_is_followed_up_by_a_named_person_on_record(
    app, smtp_server, clinic, ready_patient, make_appointment, make_user
):
    maria = ready_patient()
    desk = make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")
    admin = make_user(Role.ADMIN, email="alex@example.org")
    visit = make_appointment(
        maria,
        clinic.provider,
        clinic.location,
        clinic.type,
        datetime.now(UTC) - timedelta(hours=1),
        status=AppointmentStatus.CONFIRMED,
    )

    # Ben signs the note: Maria fainted on the table.
    ben = signed_in(app, "ben@example.org")
    signed = ben.post(
        f"/schedule/appointments/{visit.id}/note",
        data={"revision": visit.revision, **NOTE, "adverse_events": ["fainting"]},
    )
    assert signed.status_code == 302

    # The front desk has an urgent callback to check on her, linked to the visit, in the same
    # commit as the note; their email says a call is needed, and nothing about who or why.
    with app.app_context():
        callback = db.session.scalars(select(Callback)).one()
        event = db.session.scalars(select(AdverseEvent)).one()
        assert (callback.urgent, callback.source, callback.appointment_id) == (
            True,
            "adverse_event",
            visit.id,
        )
        assert event.callback_id == callback.id
        to_desk = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "staff_callback")
        ).one()
        assert to_desk.subject == "URGENT: a patient needs a call today"
        assert "Maria" not in to_desk.body and "Faint" not in to_desk.body
    dana = signed_in(app, desk.email)
    waiting = dana.get("/staff/callbacks").get_data(as_text=True)
    assert "Maria Lopez" in waiting and "Fainting" in waiting
    task = dana.get(f"/staff/callbacks/{callback.id}").get_data(as_text=True)
    assert f'href="/staff/requests/{visit.id}"' in task  # the visit it is about, one click away

    # The admins' register shows the event waiting for its follow-up.
    alex = signed_in(app, admin.email)
    register = alex.get("/admin/safety").get_data(as_text=True)
    assert "Waiting for a call" in register
    assert f'href="/staff/callbacks/{callback.id}"' in register

    # Dana cannot close it before anyone has called Maria; what she typed stays on the page.
    url = f"/staff/callbacks/{callback.id}"
    refused = dana.post(
        f"{url}/close", data={"outcome": "referred_to_doctor", "note": "Seen by her GP."}
    )
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Log a call with the patient before closing an urgent callback." in page
    assert "Seen by her GP." in page
    with app.app_context():
        assert db.session.get(Callback, callback.id).status == "open"

    # She calls, logs it, and closes the callback.
    called = dana.post(
        f"{url}/call", data={"outcome": "spoke_with_patient", "advice": "Rest; see your GP."}
    )
    assert called.status_code == 302
    closed = dana.post(
        f"{url}/close", data={"outcome": "referred_to_doctor", "note": "Seen by her GP."}
    )
    assert closed.status_code == 302

    # The register now says who followed up, when, and how it ended.
    register = alex.get("/admin/safety").get_data(as_text=True)
    assert "Waiting for a call" not in register
    assert "Closed by Dana Reyes" in register and "Referred to their doctor" in register
    assert "Seen by her GP." not in register  # the note stays on the callback's own page
