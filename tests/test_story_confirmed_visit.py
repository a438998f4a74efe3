"""The whole story with three people at three screens: a patient asks, the front desk
confirms, the patient gets the email with the calendar file, the therapist sees the visit in
the week view and in their calendar feed, and the audit log shows what the front desk looked at.
"""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from intake.permissions import Role
from tests.conftest import PASSWORD
from tests.support.clock import next_weekday_at

DURHAM = ZoneInfo("America/New_York")


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_confirmed_request_reaches_patient_therapist_and_audit_log(
    app, clinic, ready_patient, make_user, runner, smtp_server
):
    patient = ready_patient()
    desk = make_user(Role.FRONT_DESK, email="dana@example.org", first_name="Dana")
    admin = make_user(Role.ADMIN, email="alex@example.org")
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    slot = start.strftime("%Y-%m-%dT%H:%MZ")

    # The patient asks for Tuesday-ish 10:00 with Ben.
    maria = signed_in(app, patient.email)
    sent = maria.post(
        f"/book/{clinic.provider.slug}/confirm",
        data={"location": clinic.location.id, "type": clinic.type.id, "start": slot, "note": ""},
    )
    appointment_id = int(re.search(r"/account/appointments/(\d+)", sent.headers["Location"])[1])

    # The front desk finds it at the top of the queue and confirms it.
    dana = signed_in(app, desk.email)
    queue = dana.get("/staff/requests").get_data(as_text=True)
    assert f"/staff/requests/{appointment_id}" in queue
    page = dana.get(f"/staff/requests/{appointment_id}").get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', page)[1]
    confirmed = dana.post(f"/staff/requests/{appointment_id}/confirm", data={"revision": revision})
    assert confirmed.status_code == 302
    assert "Confirmed" in dana.get(f"/staff/requests/{appointment_id}").get_data(as_text=True)

    # The outbox delivers; the patient's confirmation carries the .ics at the right time.
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    [email] = [
        m
        for m in smtp_server.messages
        if m["To"] == patient.email and "confirmed" in m["Subject"].lower()
    ]
    [attachment] = [
        part for part in email.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    calendar = Calendar.from_ical(attachment.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert str(event.decoded("dtstart").tzinfo) == "America/New_York"
    assert event.decoded("dtstart").hour == 10

    # Ben sees it in his week and in his calendar feed.
    ben = signed_in(app, "ben@example.org")  # the clinic fixture's therapist
    local_day = start.astimezone(DURHAM).date()
    week = ben.get(f"/schedule?view=week&date={local_day.isoformat()}").get_data(as_text=True)
    assert "10:00 AM" in week and "Confirmed" in week and "Maria Lopez" in week
    made = ben.post("/schedule/feed-token").get_data(as_text=True)
    feed_path = re.search(r"http://localhost(/schedule/feed/[^\"<\s]+\.ics)", made)[1]
    feed = Calendar.from_ical(app.test_client().get(feed_path).data)
    [visit] = [e for e in feed.walk("VEVENT") if e.decoded("dtstart") == start]
    assert str(visit["SUMMARY"]).startswith("M.L.")
    assert str(visit["STATUS"]) == "CONFIRMED"

    # The admin's audit log shows the front desk's looks at Maria's request and intake.
    audit = (
        signed_in(app, admin.email).get(f"/admin/audit?actor={desk.email}").get_data(as_text=True)
    )
    for action in ("viewed_request", "viewed_intake", "status_changed"):
        assert action in audit or action.replace("_", " ") in audit.lower(), action
