"""A therapist completes a dry-needling visit by signing its session note; the note is locked
at the database, corrected only by addenda; a serious adverse event alerts every admin and
opens an urgent callback for the front desk to check on the patient."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models import (
    AdverseEvent,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    Callback,
    NeedlingAddendum,
    NeedlingNote,
    OutboxMessage,
    User,
)
from intake.permissions import Role
from tests.support.mailbox import deliver_outbox

NY = ZoneInfo("America/New_York")
CONFIRMED = AppointmentStatus.CONFIRMED
GOOD_NOTE = {
    "regions": ["calf_shin:right", "thigh:right"],
    "needle_count": "8",
    "tolerance": "good",
    "twitch_response": "yes",
    "adverse_events": ["none"],
    "other_event": "",
    "aftercare": "Heat, gentle calf stretches, water; soreness may last two days.",
}


def now() -> datetime:
    return datetime.now(UTC)  # the app marks visits against the real time: read once here


def rows(app, model, *where):
    with app.app_context():
        found = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def status_of(app, appointment) -> AppointmentStatus:
    with app.app_context():
        return db.session.get(Appointment, appointment.id).status


@pytest.fixture
def book(clinic, make_appointment, make_user):
    def build(starts_at, status=CONFIRMED, provider=None, kind=None):
        patient = make_user(first_name="Maria", last_name="Lopez")
        return make_appointment(
            patient, provider or clinic.provider, clinic.location, kind or clinic.type,
            starts_at, status,
        )  # fmt: skip

    return build


@pytest.fixture
def ben(app, clinic, login_as):
    with app.app_context():
        user = db.session.get(User, clinic.provider.user_id)
        db.session.expunge(user)
    login_as(user)
    return clinic.provider


@pytest.fixture
def visit(book):
    """Maria's dry-needling visit that started an hour ago."""
    return book(now() - timedelta(hours=1))


def sign(client, appointment, **changes):
    form = {"revision": appointment.revision, **GOOD_NOTE, **changes}
    return client.post(f"/schedule/appointments/{appointment.id}/note", data=form)


def note_page(client, appointment) -> str:
    response = client.get(f"/schedule/appointments/{appointment.id}/note")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- completing a dry-needling visit --------------------------------------------------------


def test_a_dry_needling_visit_is_not_completed_without_its_note(app, client, ben, visit):
    day = visit.starts_at.astimezone(NY).date().isoformat()
    schedule = client.get(f"/schedule?view=day&date={day}").get_data(as_text=True)
    assert "Write the session note to complete" in schedule and "Mark completed" not in schedule
    assert f'href="/schedule/appointments/{visit.id}/note"' in schedule

    response = client.post(
        f"/schedule/appointments/{visit.id}/outcome",
        data={"outcome": "completed", "revision": visit.revision},
    )

    assert "completed by signing its session note" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert status_of(app, visit) == CONFIRMED
    assert rows(app, AppointmentEvent) == []


def test_a_no_show_needs_no_note(app, client, ben, visit):
    client.post(
        f"/schedule/appointments/{visit.id}/outcome",
        data={"outcome": "no_show", "revision": visit.revision},
    )
    assert status_of(app, visit) == AppointmentStatus.NO_SHOW
    assert rows(app, NeedlingNote) == []


def test_signing_the_note_completes_the_visit_in_the_same_commit(app, client, ben, visit):
    assert "Sign the note and mark the visit completed" in note_page(client, visit)

    response = sign(client, visit)

    assert response.status_code == 302
    html = note_page(client, visit)
    assert "The note is signed and the visit is marked completed." in html
    assert "Thigh, right; Calf or shin, right" in html and "soreness may last two days" in html
    assert "Sign the note" not in html and "Add an addendum" in html
    assert status_of(app, visit) == AppointmentStatus.COMPLETED
    [note] = rows(app, NeedlingNote)
    assert (note.appointment_id, note.therapist_id, note.signed_by_id) == (
        visit.id,
        ben.user_id,
        ben.user_id,
    )
    assert (note.regions, note.needle_count, note.tolerance, note.twitch_response) == (
        ["thigh:right", "calf_shin:right"],  # in the catalogue's order
        8,
        "good",
        True,
    )
    assert rows(app, AdverseEvent) == []  # "None" is no event
    [history] = rows(app, AppointmentEvent)
    assert (history.action, history.to_status, history.detail) == (
        "completed",
        "completed",
        "Session note signed",
    )
    actions = {a.action for a in rows(app, AuditEvent, AuditEvent.actor_id == ben.user_id)}
    assert {"signed_note", "status_changed", "viewed_note"} <= actions
    # Nothing serious, so no alert: the patient's aftercare advice is the only email.
    [aftercare] = rows(app, OutboxMessage)
    assert (aftercare.kind, aftercare.appointment_id) == ("aftercare", visit.id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"adverse_events": ["other"]}, "Describe the other adverse event."),
        (
            {"adverse_events": ["none", "bruising"]},
            "None cannot be ticked together with an adverse event.",
        ),
        ({"adverse_events": []}, "Tick the adverse events seen, or None."),
        ({"regions": []}, "Tick the regions needled."),
        ({"needle_count": "201"}, "Enter 0 to 200."),
        ({"tolerance": ""}, "Choose the patient&#39;s tolerance."),
        ({"aftercare": "  "}, "Write the aftercare given."),
    ],
)
def test_the_form_keeps_what_was_typed_and_says_what_to_fix(
    app, client, ben, visit, changes, message
):
    response = sign(client, visit, **changes)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if "aftercare" not in changes:
        assert "soreness may last two days" in html
    assert status_of(app, visit) == CONFIRMED
    assert rows(app, NeedlingNote) == []


def test_a_visit_not_started_cannot_be_signed(app, client, ben, book):
    later = book(now() + timedelta(days=1))
    assert "Sign the note" not in note_page(client, later)
    response = sign(client, later)
    assert response.status_code == 409
    assert "once its start time has passed" in response.get_data(as_text=True)
    assert rows(app, NeedlingNote) == []


def test_a_visit_without_needles_completes_as_before(app, client, ben, book, make_type):
    manual = book(now() - timedelta(hours=1), kind=make_type(involves_dry_needling=False))
    assert "needs no session note" in note_page(client, manual)
    assert sign(client, manual).status_code == 409
    client.post(
        f"/schedule/appointments/{manual.id}/outcome",
        data={"outcome": "completed", "revision": manual.revision},
    )
    assert status_of(app, manual) == AppointmentStatus.COMPLETED
    assert rows(app, NeedlingNote) == []


# --- locked, and corrected by addenda ---------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE needling_notes SET needle_count = 1",
        "DELETE FROM needling_notes",
        "UPDATE adverse_events SET kind = 'bruising'",
        "DELETE FROM adverse_events",
        "UPDATE needling_addenda SET text = 'rewritten'",
        "DELETE FROM needling_addenda",
    ],
)
def test_the_database_refuses_to_change_a_signed_note(app, client, ben, visit, statement):
    sign(client, visit, adverse_events=["soreness"])
    client.post(f"/schedule/appointments/{visit.id}/note/addenda", data={"text": "Also hamstring."})
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement))
            db.session.commit()
        db.session.rollback()
    [note] = rows(app, NeedlingNote)
    assert note.needle_count == 8
    assert [e.kind for e in rows(app, AdverseEvent)] == ["soreness"]
    assert [a.text for a in rows(app, NeedlingAddendum)] == ["Also hamstring."]


def test_addenda_keep_the_original_and_show_in_order(app, client, ben, visit):
    sign(client, visit)
    for words in ("Also needled the right soleus.", "Patient called: soreness settled."):
        response = client.post(
            f"/schedule/appointments/{visit.id}/note/addenda", data={"text": words}
        )
        assert response.status_code == 302

    html = note_page(client, visit)
    original = html.index("Calf or shin, right")
    first = html.index("Also needled the right soleus.")
    assert original < first < html.index("Patient called: soreness settled.")
    [note] = rows(app, NeedlingNote)
    assert note.regions == ["thigh:right", "calf_shin:right"]
    assert [a.by_id for a in rows(app, NeedlingAddendum)] == [ben.user_id, ben.user_id]
    assert [e.action for e in rows(app, AppointmentEvent)][-2:] == ["addendum", "addendum"]


def test_an_empty_addendum_is_refused_and_a_note_cannot_be_signed_twice(app, client, ben, visit):
    sign(client, visit)
    refused = client.post(f"/schedule/appointments/{visit.id}/note/addenda", data={"text": " "})
    assert refused.status_code == 400
    assert "Write the addendum first." in refused.get_data(as_text=True)
    again = sign(client, visit, needle_count="2")
    assert "signed already" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert [n.needle_count for n in rows(app, NeedlingNote)] == [8]
    assert rows(app, NeedlingAddendum) == []


# --- adverse events found after the visit -----------------------------------------------------


def add_addendum(client, appointment, *, admin=False, **form):
    base = "/admin/safety/visits" if admin else "/schedule/appointments"
    suffix = "/addenda" if admin else "/note/addenda"
    return client.post(f"{base}/{appointment.id}{suffix}", data=form)


def test_an_addendum_reports_a_serious_event_found_after_the_visit(
    app, client, ben, visit, make_user
):
    make_user(Role.ADMIN, email="alex@example.org")
    sign(client, visit, adverse_events=["soreness"])

    answer = add_addendum(
        client,
        visit,
        text="Patient called: fainted at home that evening.",
        adverse_events=["fainting"],
    )

    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "the front desk will call the patient" in page
    [callback] = rows(app, Callback)
    assert (callback.urgent, callback.source, callback.appointment_id) == (
        True,
        "adverse_event",
        visit.id,
    )
    [addendum] = rows(app, NeedlingAddendum)
    assert [(e.kind, e.callback_id, e.addendum_id) for e in rows(app, AdverseEvent)] == [
        ("soreness", None, None),
        ("fainting", callback.id, addendum.id),
    ]
    # The signed note still says what was signed; the addendum says what it reported.
    signed = page[page.index("<dt>Adverse events</dt>") : page.index("Aftercare given")]
    assert "Excessive soreness" in signed and "Fainting" not in signed
    assert "Adverse events reported: Fainting" in page
    kinds = sorted(m.kind for m in rows(app, OutboxMessage))
    assert kinds == ["aftercare", "serious_adverse_event", "staff_callback"]
    [alert] = rows(app, OutboxMessage, OutboxMessage.kind == "serious_adverse_event")
    assert "Fainting" in alert.body and "fainted at home" not in alert.body
    # The register counts it with the visit's month, like the events named at signing.
    assert {e.occurred_at for e in rows(app, AdverseEvent)} == {visit.starts_at}
    assert [a.text for a in rows(app, NeedlingAddendum)] == [
        "Patient called: fainted at home that evening."
    ]
    history = [e.detail for e in rows(app, AppointmentEvent, AppointmentEvent.action == "addendum")]
    assert history == ["Addendum to the session note, reporting an adverse event"]


def test_an_admins_addendum_may_report_a_common_event_without_a_callback(
    app, client, ben, visit, make_user, login_as
):
    sign(client, visit)
    login_as(make_user(Role.ADMIN))

    answer = add_addendum(
        client, visit, admin=True, text="Bruise reported by phone.", adverse_events=["bruising"]
    )

    assert answer.status_code == 302
    assert [e.kind for e in rows(app, AdverseEvent)] == ["bruising"]
    assert rows(app, Callback) == []
    assert "Bruising" in client.get(answer.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": "", "adverse_events": ["fainting"]}, "Write the addendum first."),
        ({"text": "Fainted.", "adverse_events": ["none"]}, "Choose among the events listed."),
    ],
)
def test_a_refused_addendum_keeps_the_events_ticked_and_records_nothing(
    app, client, ben, visit, form, message
):
    sign(client, visit)

    refused = add_addendum(client, visit, **form)

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert message in page
    if "fainting" in form["adverse_events"]:
        assert re.search(r'<input checked[^>]*value="fainting"', page)
    assert rows(app, AdverseEvent) == [] and rows(app, Callback) == []


def test_an_addendum_needs_a_signed_note(client, ben, visit):
    response = client.post(f"/schedule/appointments/{visit.id}/note/addenda", data={"text": "x"})
    assert response.status_code == 404


# --- who may --------------------------------------------------------------------------------


def test_another_therapists_visit_is_not_found(app, client, ben, book, make_provider, clinic):
    theirs = book(now() - timedelta(hours=1), provider=make_provider("Olivia", [clinic.location]))
    assert client.get(f"/schedule/appointments/{theirs.id}/note").status_code == 404
    assert sign(client, theirs).status_code == 404
    assert status_of(app, theirs) == CONFIRMED
    assert rows(app, NeedlingNote) == []


@pytest.mark.parametrize("role", [Role.PATIENT, Role.FRONT_DESK])
def test_patients_and_the_front_desk_cannot_reach_a_note(
    app, client, visit, make_user, login_as, role
):
    login_as(make_user(role))
    assert client.get(f"/schedule/appointments/{visit.id}/note").status_code == 403
    assert sign(client, visit).status_code == 403
    assert client.get(f"/admin/safety/visits/{visit.id}").status_code == 403
    assert rows(app, NeedlingNote) == []


# --- serious adverse events -----------------------------------------------------------------


def test_a_serious_event_emails_every_active_admin_without_health_text(
    app, client, ben, visit, make_user, smtp_server
):
    make_user(Role.ADMIN, email="alex@example.org")
    make_user(Role.ADMIN, email="sam@example.org")
    make_user(Role.ADMIN, email="gone@example.org", active=False)
    make_user(Role.FRONT_DESK, email="dana@example.org")

    sign(
        client,
        visit,
        adverse_events=["pneumothorax", "other"],
        other_event="Short of breath after left upper trapezius",
        aftercare="Sent to the emergency department by ambulance",
    )

    assert status_of(app, visit) == AppointmentStatus.COMPLETED
    deliver_outbox(app)
    deliver_outbox(app)  # the worker run again sends nothing twice
    alerts = [m for m in smtp_server.messages if "Serious adverse event" in m["Subject"]]
    assert sorted(m["To"] for m in alerts) == ["alex@example.org", "sam@example.org"]
    for message in alerts:
        body = message.get_content()
        assert "Suspected pneumothorax" in body and "Other" in body
        assert re.search(rf"https?://[^\s]+/admin/safety/visits/{visit.id}\b", body)
        for private in ("Short of breath", "trapezius", "ambulance", "Maria", "Lopez"):
            assert private not in body and private not in message["Subject"]
    assert [e.kind for e in rows(app, AdverseEvent)] == ["pneumothorax", "other"]


def test_a_common_event_alerts_nobody(app, client, ben, visit, make_user):
    make_user(Role.ADMIN, email="alex@example.org")
    sign(client, visit, adverse_events=["bruising", "soreness"])
    assert [m.kind for m in rows(app, OutboxMessage)] == ["aftercare"]
    assert [e.kind for e in rows(app, AdverseEvent)] == ["bruising", "soreness"]
    assert rows(app, Callback) == []


def test_a_serious_event_opens_an_urgent_callback_for_the_desk_in_the_same_commit(
    app, client, ben, visit
):
    sign(client, visit, adverse_events=["pneumothorax", "bruising"])

    [callback] = rows(app, Callback)
    assert (callback.patient_id, callback.appointment_id) == (visit.patient_id, visit.id)
    assert (callback.urgent, callback.source, callback.status) == (True, "adverse_event", "open")
    assert callback.finding_keys == ["adverse_event:pneumothorax"]
    # The serious event points to its follow-up; the bruising needs none.
    assert [(e.kind, e.callback_id) for e in rows(app, AdverseEvent)] == [
        ("bruising", None),
        ("pneumothorax", callback.id),
    ]
    [to_desk] = rows(app, OutboxMessage, OutboxMessage.kind == "staff_callback")
    assert to_desk.subject == "URGENT: a patient needs a call today"
    assert re.search(rf"https?://[^\s]+/staff/callbacks/{callback.id}\b", to_desk.body)
    for private in ("Maria", "Lopez", "pneumothorax", "Heat"):
        assert private not in to_desk.body


def test_the_patients_open_callback_turns_urgent_and_gains_the_event(
    app, client, ben, visit, make_intake
):
    with app.app_context():
        patient = db.session.get(User, visit.patient_id)
        db.session.expunge(patient)
    make_intake(patient, needle_phobia="yes")  # waiting for a call, not urgent
    [before] = rows(app, Callback)
    assert not before.urgent

    sign(client, visit, adverse_events=["fainting"])

    [callback] = rows(app, Callback)  # still one open callback for the patient
    assert callback.id == before.id and callback.urgent
    assert callback.finding_keys == ["needle_phobia", "adverse_event:fainting"]
    assert callback.appointment_id == visit.id
    assert [e.callback_id for e in rows(app, AdverseEvent)] == [callback.id]


# --- where staff read notes -----------------------------------------------------------------


def test_the_record_and_the_day_view_show_the_note_and_its_addenda(
    app, client, ben, visit, make_user, login_as
):
    sign(client, visit, adverse_events=["bruising"])
    client.post(f"/schedule/appointments/{visit.id}/note/addenda", data={"text": "Iced at home."})

    day = visit.starts_at.astimezone(NY).date().isoformat()
    schedule = client.get(f"/schedule?view=day&date={day}").get_data(as_text=True)
    assert "Session note: Thigh, right; Calf or shin, right · 8 needles" in schedule
    assert "adverse events: bruising" in schedule and "1 addendum" in schedule

    login_as(make_user(Role.FRONT_DESK))
    record = client.get(f"/records/patients/{visit.patient_id}").get_data(as_text=True)
    assert "Needling session notes" in record
    assert record.index("soreness may last two days") < record.index("Iced at home.")
    assert rows(app, AuditEvent, AuditEvent.action == "viewed_patient")


def test_an_admin_reads_the_visit_and_adds_an_addendum(
    app, client, ben, visit, make_user, login_as
):
    sign(client, visit, adverse_events=["fainting"])
    admin = make_user(Role.ADMIN)
    login_as(admin)
    page = client.get(f"/admin/safety/visits/{visit.id}").get_data(as_text=True)
    assert "Fainting" in page and "Add an addendum" in page
    response = client.post(
        f"/admin/safety/visits/{visit.id}/addenda", data={"text": "Reviewed with Ben; no harm."}
    )
    assert response.status_code == 302
    assert "Reviewed with Ben" in client.get(response.headers["Location"]).get_data(as_text=True)
    [addendum] = rows(app, NeedlingAddendum)
    assert addendum.by_id == admin.id
    viewed = rows(app, AuditEvent, AuditEvent.action == "viewed_note")
    assert admin.id in {a.actor_id for a in viewed}


def test_a_stale_page_keeps_the_typed_note_and_signs_nothing(app, client, ben, book):
    started = book(now() - timedelta(hours=1))
    with app.app_context():  # the front desk touched the visit since the page was loaded
        db.session.get(Appointment, started.id).patient_note = "Parking at the back"
        db.session.commit()

    response = sign(client, started)

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed" in html and "soreness may last two days" in html
    assert status_of(app, started) == CONFIRMED and rows(app, NeedlingNote) == []
    assert sign(client, started, revision=started.revision + 1).status_code == 302
    assert status_of(app, started) == AppointmentStatus.COMPLETED
