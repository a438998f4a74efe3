"""The front desk opens one request, reads the patient's findings and consent, and acts on it:
confirm, decline, move, cancel, note. Every change is written down, emailed and audited."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    OutboxMessage,
    TimeOff,
)
from intake.permissions import Role
from intake.services.outbox import calendar_file
from tests.conftest import persist
from tests.support.clock import next_weekday_at

DURHAM = ZoneInfo("America/New_York")


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


@pytest.fixture
def request_for(clinic, ready_patient, make_appointment):
    """A patient's request at 10:00 on a weekday, as the booking page would have stored it."""

    def build(starts_at=None, **fields):
        patient = fields.pop("patient", None) or ready_patient()
        return make_appointment(
            patient,
            clinic.provider,
            clinic.location,
            clinic.type,
            starts_at or next_weekday_at(datetime.now(UTC), 10, days_ahead=3),
            **fields,
        )

    return build


def page_of(client, appointment) -> str:
    response = client.get(f"/staff/requests/{appointment.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stored(app, appointment) -> Appointment:
    with app.app_context():
        found = db.session.get(Appointment, appointment.id)
        db.session.expunge(found)
    return found


def events(app, appointment) -> list[AppointmentEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AppointmentEvent)
                .where(AppointmentEvent.appointment_id == appointment.id)
                .order_by(AppointmentEvent.id)
            )
        )
        db.session.expunge_all()
    return found


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
    return found


def audits(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
    return found


def revision_on(page: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', page).group(1)


# --- who may open it ------------------------------------------------------------------


def test_only_the_front_desk_and_admins_open_requests(
    client, login_as, make_user, request_for, desk
):
    appointment = request_for()
    url = f"/staff/requests/{appointment.id}"
    assert client.get(url).headers["Location"].startswith("/account/login")
    for role in (Role.PATIENT, Role.THERAPIST):
        login_as(make_user(role))
        assert client.get(url).status_code == 403
        assert client.post(f"{url}/confirm", data={"revision": "1"}).status_code == 403
        client.post("/account/logout")
    login_as(make_user(Role.ADMIN))
    assert client.get(url).status_code == 200


def test_a_request_that_does_not_exist_is_404(client, login_as, desk):
    login_as(desk)
    assert client.get("/staff/requests/987654").status_code == 404
    for action in ("confirm", "decline", "cancel", "move", "note"):
        data = {"revision": "1", "reason": "x", "text": "x", "provider": "1", "location": "1"}
        data["start"] = next_weekday_at(datetime.now(UTC), 10, days_ahead=3).isoformat()
        assert client.post(f"/staff/requests/987654/{action}", data=data).status_code == 404
    assert client.get("/staff/requests/987654/move").status_code == 404


# --- reading it -----------------------------------------------------------------------


def test_the_request_page_shows_what_the_front_desk_needs(
    app, client, login_as, desk, ready_patient, request_for
):
    patient = ready_patient(
        anticoagulants="yes", anticoagulants_detail="Warfarin", born_on="1980-05-17"
    )
    appointment = request_for(patient=patient, needs_review=True, patient_note="Mornings please")
    login_as(desk)

    page = page_of(client, appointment)

    assert "Request from Maria Lopez" in page
    assert "Review needed" in page and "Therapist review needed" in page
    # The finding: its level in words, the question, the detail and the reason.
    assert "Precaution: a therapist reviews before confirming" in page
    assert "finding-precaution" in page
    assert "Do you take blood thinners (anticoagulant or antiplatelet medicine)?" in page
    assert "Warfarin" in page
    assert "Higher risk of bleeding or bruising at needle sites." in page
    # Contact and age, consent with its version and a link to the signed copy.
    assert "(919) 555-0142" in page and patient.email in page
    assert re.search(r"<dt>Age</dt><dd>\d{2} \(born May 17, 1980\)", page)
    assert "Signed v1" in page and "(the current version)" in page
    assert re.search(r'href="/consent/\d+"', page)
    assert f'href="/records/patients/{patient.id}"' in page
    # Intake answers under the questionnaire's own labels, choices in words.
    assert "What brings you in?" in page and "Pain in my right calf when I run." in page
    assert "Calf or shin, right" in page
    assert "Mornings please" in page
    assert f'name="revision" value="{appointment.revision}"' in page


def test_each_look_at_a_request_is_audited_with_the_patient(
    app, client, login_as, desk, request_for
):
    appointment = request_for()
    login_as(desk)
    page_of(client, appointment)
    [viewed] = audits(app, "viewed_request")
    assert (viewed.actor_id, viewed.object_id) == (desk.id, appointment.id)
    assert viewed.patient_id == appointment.patient_id
    [intake_view] = audits(app, "viewed_intake")
    assert (intake_view.object_type, intake_view.patient_id) == ("intake", appointment.patient_id)


def test_a_patient_without_consent_shows_missing(
    client, login_as, desk, make_user, make_intake, request_for
):
    patient = make_user(first_name="Ann", last_name="Nosign")
    make_intake(patient, legal_first_name="Ann", legal_last_name="Nosign")
    appointment = request_for(patient=patient)
    login_as(desk)
    page = page_of(client, appointment)
    assert "Missing" in page and "has not signed the consent" in page


# --- confirming -----------------------------------------------------------------------


def test_confirming_changes_status_writes_history_emails_and_audits(
    app, client, login_as, desk, request_for
):
    appointment = request_for()
    login_as(desk)

    response = client.post(
        f"/staff/requests/{appointment.id}/confirm", data={"revision": appointment.revision}
    )

    assert response.status_code == 302
    assert "Confirmed. The patient has been emailed" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    now = stored(app, appointment)
    assert now.status == AppointmentStatus.CONFIRMED
    assert now.revision == appointment.revision + 1
    [event] = events(app, appointment)
    assert (event.actor_id, event.action) == (desk.id, "confirmed")
    assert (event.from_status, event.to_status) == ("requested", "confirmed")
    [mail] = outbox(app)
    assert (mail.kind, mail.ics_method) == ("confirmed", "REQUEST")
    assert mail.recipient == appointment_patient_email(app, appointment)
    [changed] = audits(app, "status_changed")
    assert (changed.actor_id, changed.object_id) == (desk.id, appointment.id)


def test_confirming_waits_for_a_therapist_when_precautions_were_found(
    app, client, login_as, desk, request_for
):
    appointment = request_for(needs_review=True)
    login_as(desk)
    url = f"/staff/requests/{appointment.id}/confirm"

    refused = client.post(url, data={"revision": appointment.revision})

    assert refused.status_code == 409
    assert "A therapist must review" in refused.get_data(as_text=True)
    assert stored(app, appointment).status == AppointmentStatus.REQUESTED
    assert outbox(app) == []

    with app.app_context():  # the therapist's review, as the schedule records it
        db.session.get(Appointment, appointment.id).review_outcome = "cleared"
        db.session.commit()
    reviewed = stored(app, appointment).revision  # every change bumps it: a fresh page
    assert reviewed == appointment.revision + 1
    assert client.post(url, data={"revision": reviewed}).status_code == 302
    assert stored(app, appointment).status == AppointmentStatus.CONFIRMED


def test_an_admin_may_confirm_without_review_only_with_a_reason(
    app, client, login_as, make_user, request_for
):
    appointment = request_for(needs_review=True)
    login_as(make_user(Role.ADMIN))
    url = f"/staff/requests/{appointment.id}/confirm"
    page = page_of(client, appointment)
    assert "Admin override: why confirm although the checks above fail?" in page
    assert "A therapist must review this patient" in page  # said before the click

    without = client.post(url, data={"revision": appointment.revision, "override_reason": " "})
    assert "give the reason for overriding" in without.get_data(as_text=True)

    reason = "Dr. Shah reviewed by phone"
    assert (
        client.post(url, data={"revision": appointment.revision, "override_reason": reason})
    ).status_code == 302
    assert stored(app, appointment).status == AppointmentStatus.CONFIRMED
    [event] = events(app, appointment)
    assert reason in event.detail
    assert len(audits(app, "review_overridden")) == 1
    [mail] = outbox(app)
    assert reason not in mail.body  # the override is for staff, not the patient's inbox


def test_confirming_rechecks_that_the_time_is_still_free(
    app, client, login_as, desk, clinic, request_for
):
    appointment = request_for()
    persist(
        app,
        TimeOff(
            provider_id=clinic.provider.id,
            starts_at=appointment.starts_at - timedelta(hours=1),
            ends_at=appointment.starts_at + timedelta(hours=2),
            reason="Course",
        ),
    )
    login_as(desk)

    response = client.post(
        f"/staff/requests/{appointment.id}/confirm", data={"revision": appointment.revision}
    )

    assert response.status_code == 409
    assert "falls in their time off" in response.get_data(as_text=True)
    assert stored(app, appointment).status == AppointmentStatus.REQUESTED


# --- two people at once ---------------------------------------------------------------


def test_a_stale_page_cannot_act_and_shows_the_request_as_it_now_stands(
    app, client, login_as, desk, request_for
):
    appointment = request_for()
    login_as(desk)
    seen = revision_on(page_of(client, appointment))

    first = client.post(f"/staff/requests/{appointment.id}/confirm", data={"revision": seen})
    second = client.post(
        f"/staff/requests/{appointment.id}/decline", data={"revision": seen, "reason": "Full"}
    )

    assert first.status_code == 302
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Someone else changed this request" in page
    assert "Confirmed" in page  # what the first did
    assert stored(app, appointment).status == AppointmentStatus.CONFIRMED
    assert [e.action for e in events(app, appointment)] == ["confirmed"]
    assert [m.kind for m in outbox(app)] == ["confirmed"]


def test_a_reason_typed_on_a_stale_page_is_kept_to_send_again_once_read(
    app, client, login_as, desk, request_for
):
    appointment = request_for()
    login_as(desk)
    seen = revision_on(page_of(client, appointment))
    with app.app_context():  # meanwhile someone else changed the request (a review, say)
        db.session.get(Appointment, appointment.id).revision += 1
        db.session.commit()
    reason = "Our therapist is away that week; we will call you with other times."

    stale = client.post(
        f"/staff/requests/{appointment.id}/decline", data={"revision": seen, "reason": reason}
    )

    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone else changed this request" in page
    assert reason in page  # still in the box, not to be typed again
    assert stored(app, appointment).status == AppointmentStatus.REQUESTED
    again = client.post(
        f"/staff/requests/{appointment.id}/decline",
        data={"revision": revision_on(page), "reason": reason},
    )
    assert again.status_code == 302
    assert stored(app, appointment).status == AppointmentStatus.DECLINED


def test_the_same_confirm_sent_twice_is_applied_once(app, client, login_as, desk, request_for):
    appointment = request_for()
    login_as(desk)
    data = {"revision": appointment.revision}
    url = f"/staff/requests/{appointment.id}/confirm"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 409
    assert len(events(app, appointment)) == 1
    assert len(outbox(app)) == 1


@pytest.mark.parametrize("revision", ["", "abc", "-1", "99999999999999"])
def test_a_tampered_revision_is_refused(app, client, login_as, desk, request_for, revision):
    appointment = request_for()
    login_as(desk)
    response = client.post(f"/staff/requests/{appointment.id}/confirm", data={"revision": revision})
    assert response.status_code == 409
    assert stored(app, appointment).status == AppointmentStatus.REQUESTED
    assert outbox(app) == []


# --- declining, cancelling, noting ----------------------------------------------------


def test_declining_needs_a_reason_and_tells_the_patient(app, client, login_as, desk, request_for):
    appointment = request_for()
    login_as(desk)
    url = f"/staff/requests/{appointment.id}/decline"

    empty = client.post(url, data={"revision": appointment.revision, "reason": "  "})
    assert empty.status_code == 400
    assert "Please give the patient a reason." in empty.get_data(as_text=True)
    assert stored(app, appointment).status == AppointmentStatus.REQUESTED

    reason = "Dr. Ben is away that week; please pick another time."
    assert (
        client.post(url, data={"revision": appointment.revision, "reason": reason}).status_code
        == 302
    )
    assert stored(app, appointment).status == AppointmentStatus.DECLINED
    [event] = events(app, appointment)
    assert (event.action, event.from_status, event.to_status, event.detail) == (
        "declined",
        "requested",
        "declined",
        reason,
    )
    [mail] = outbox(app)
    assert (mail.kind, mail.ics_method) == ("declined", "CANCEL")
    assert reason in mail.body
    assert "METHOD:CANCEL" in calendar_file(mail)
    assert len(audits(app, "status_changed")) == 1


def test_cancelling_a_confirmed_appointment_tells_patient_and_therapist(
    app, client, login_as, desk, clinic, request_for
):
    appointment = request_for(status=AppointmentStatus.CONFIRMED)
    login_as(desk)
    response = client.post(
        f"/staff/requests/{appointment.id}/cancel",
        data={"revision": appointment.revision, "reason": "Clinic closed for weather"},
    )
    assert response.status_code == 302
    assert stored(app, appointment).status == AppointmentStatus.CANCELLED
    mails = outbox(app)
    patient_mail = next(m for m in mails if m.kind == "cancelled")
    assert patient_mail.ics_method == "CANCEL"
    assert "staff_cancelled" in {m.kind for m in mails}
    assert "ben@example.org" in {m.recipient for m in mails}
    [event] = events(app, appointment)
    assert (event.from_status, event.to_status) == ("confirmed", "cancelled")


def test_a_cancelled_request_offers_no_more_actions(client, login_as, desk, request_for):
    appointment = request_for(status=AppointmentStatus.CANCELLED)
    login_as(desk)
    page = page_of(client, appointment)
    assert "Confirm this request" not in page and "Cancel the appointment" not in page
    refused = client.post(
        f"/staff/requests/{appointment.id}/confirm", data={"revision": appointment.revision}
    )
    assert refused.status_code == 409
    assert "This appointment is cancelled" in refused.get_data(as_text=True)


def test_an_internal_note_is_kept_for_staff_and_emails_nobody(
    app, client, login_as, desk, request_for
):
    appointment = request_for()
    login_as(desk)
    response = client.post(
        f"/staff/requests/{appointment.id}/note", data={"text": "Called, left a voicemail."}
    )
    assert response.status_code == 302
    page = page_of(client, appointment)
    assert "Called, left a voicemail." in page and "Dana Reyes" in page
    [event] = events(app, appointment)
    assert (event.action, event.actor_id) == ("note", desk.id)
    assert outbox(app) == []
    assert stored(app, appointment).revision == appointment.revision  # nothing else changed
    assert len(audits(app, "added_note")) == 1


# --- moving ---------------------------------------------------------------------------


def test_moving_lists_free_times_and_the_request_needs_confirming_again(
    app, client, login_as, desk, clinic, request_for, make_provider, make_user
):
    appointment = request_for(status=AppointmentStatus.CONFIRMED)
    other = make_provider(
        "Cara Chapel",
        [clinic.location],
        slug="cara",
        user=make_user(Role.THERAPIST, email="cara@example.org"),
        hours=[(clinic.location, day, time(13), time(16)) for day in range(5)],
    )
    login_as(desk)
    own = client.get(f"/staff/requests/{appointment.id}/move").get_data(as_text=True)
    assert "goes back to <strong>requested</strong>" in own
    # Its own time is free for itself; the grid continues around it.
    assert appointment.starts_at.strftime("%Y-%m-%dT%H:%MZ") in own

    page = client.get(
        f"/staff/requests/{appointment.id}/move?provider={other.id}&location={clinic.location.id}"
        f"&week={appointment.starts_at.astimezone(DURHAM).date().isoformat()}"
    ).get_data(as_text=True)
    new_start = next_weekday_at(datetime.now(UTC), 14, days_ahead=3)
    assert new_start.strftime("%Y-%m-%dT%H:%MZ") in page

    response = client.post(
        f"/staff/requests/{appointment.id}/move",
        data={
            "revision": revision_on(page),
            "provider": other.id,
            "location": clinic.location.id,
            "start": new_start.strftime("%Y-%m-%dT%H:%MZ"),
        },
    )

    assert response.status_code == 302
    moved = stored(app, appointment)
    assert (moved.provider_id, moved.starts_at, moved.status) == (
        other.id,
        new_start,
        AppointmentStatus.REQUESTED,
    )
    assert moved.ends_at - moved.starts_at == timedelta(minutes=30)
    [event] = events(app, appointment)
    assert (event.action, event.from_status, event.to_status) == ("moved", "confirmed", "requested")
    assert "Ben Durham" in event.detail and "Cara Chapel" in event.detail
    kinds = {(m.kind, m.recipient) for m in outbox(app)}
    assert ("moved", appointment_patient_email(app, appointment)) in kinds
    assert ("staff_moved", "cara@example.org") in kinds


def appointment_patient_email(app, appointment) -> str:
    with app.app_context():
        return db.session.get(Appointment, appointment.id).patient.email


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "nonsense", "2026-02-30"])
def test_a_tampered_week_on_the_move_page_is_a_page_not_a_crash(
    client, login_as, desk, request_for, week
):
    appointment = request_for()
    login_as(desk)
    response = client.get(f"/staff/requests/{appointment.id}/move?week={week}&provider=x")
    assert response.status_code == 200
    assert "Free times with Ben Durham" in response.get_data(as_text=True)


def test_moving_onto_a_taken_time_is_refused(
    app, client, login_as, desk, clinic, request_for, ready_patient
):
    appointment = request_for()
    other = request_for(
        starts_at=next_weekday_at(datetime.now(UTC), 11, days_ahead=3), patient=ready_patient()
    )
    login_as(desk)
    response = client.post(
        f"/staff/requests/{appointment.id}/move",
        data={
            "revision": appointment.revision,
            "provider": clinic.provider.id,
            "location": clinic.location.id,
            "start": other.starts_at.strftime("%Y-%m-%dT%H:%MZ"),
        },
        follow_redirects=True,
    )
    assert "Another appointment now holds that time." in response.get_data(as_text=True)
    assert stored(app, appointment).starts_at == appointment.starts_at
    assert outbox(app) == []


@pytest.mark.parametrize("field", ["provider", "location"])
def test_moving_to_a_tampered_provider_or_location_is_refused(
    app, client, login_as, desk, clinic, request_for, field
):
    appointment = request_for()
    login_as(desk)
    data = {
        "revision": appointment.revision,
        "provider": clinic.provider.id,
        "location": clinic.location.id,
        "start": next_weekday_at(datetime.now(UTC), 11, days_ahead=3).strftime("%Y-%m-%dT%H:%MZ"),
        field: "987654",
    }
    response = client.post(
        f"/staff/requests/{appointment.id}/move", data=data, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Please choose a provider and one of their locations." in response.get_data(as_text=True)
    assert stored(app, appointment).starts_at == appointment.starts_at


def test_moving_outside_working_hours_is_refused(app, client, login_as, desk, clinic, request_for):
    appointment = request_for()
    login_as(desk)
    response = client.post(
        f"/staff/requests/{appointment.id}/move",
        data={
            "revision": appointment.revision,
            "provider": clinic.provider.id,
            "location": clinic.location.id,
            "start": next_weekday_at(datetime.now(UTC), 18, days_ahead=3).strftime(
                "%Y-%m-%dT%H:%MZ"
            ),
        },
        follow_redirects=True,
    )
    assert "outside Ben Durham&#39;s working hours" in response.get_data(as_text=True)
    assert stored(app, appointment).starts_at == appointment.starts_at
