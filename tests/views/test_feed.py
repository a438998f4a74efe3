"""A therapist subscribes to a private calendar feed: their visits, in the clinic's zone, with
initials and the type only; a new address retires the old one."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from intake.domain.screening import screen
from intake.extensions import db
from intake.models import AppointmentStatus, AuditEvent, Provider, User
from intake.permissions import Role

FEED_URL = re.compile(r"http://localhost(/schedule/feed/([A-Za-z0-9_-]+)\.ics)")


def now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def user_of(app, provider) -> User:
    with app.app_context():
        user = db.session.get(User, provider.user_id)
        db.session.expunge(user)
        return user


def stored_hash(app, provider) -> str | None:
    with app.app_context():
        return db.session.scalar(select(Provider.feed_token_hash).where(Provider.id == provider.id))


@pytest.fixture
def ben(app, clinic, login_as):
    login_as(user_of(app, clinic.provider))
    return clinic.provider


@pytest.fixture
def book(clinic, make_appointment, make_user):
    def build(starts_at, status=AppointmentStatus.CONFIRMED, patient=None, provider=None, **kw):
        patient = patient or make_user(first_name="Maria", last_name="Lopez")
        return make_appointment(
            patient,
            provider or clinic.provider,
            clinic.location,
            clinic.type,
            starts_at,
            status,
            **kw,
        )

    return build


def subscribe(client) -> str:
    """Make a feed address on the settings page; returns its path."""
    response = client.post("/schedule/feed-token")
    assert response.status_code == 200
    return FEED_URL.search(response.get_data(as_text=True)).group(1)


def fetch(app, path):
    """As a calendar app would: no cookies, no session."""
    return app.test_client().get(path)


def events_of(response) -> dict[str, dict]:
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_settings_page_shows_the_address_once_and_stores_only_its_hash(app, client, ben):
    assert "You have no feed address yet" in client.get("/schedule/feed-token").get_data(
        as_text=True
    )
    path = subscribe(client)
    token = path.removeprefix("/schedule/feed/").removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes
    assert stored_hash(app, ben) == hashlib.sha256(token.encode()).hexdigest()
    page = client.get("/schedule/feed-token").get_data(as_text=True)
    assert token not in page and "You have a feed address" in page
    with app.app_context():
        audit = db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_id).where(
                AuditEvent.action == "changed_feed_token"
            )
        ).all()
    assert [tuple(row) for row in audit] == [(ben.user_id, ben.id)]


def test_the_feed_holds_the_therapists_visits_in_the_window(
    app, client, ben, book, make_user, make_provider, clinic
):
    soon = book(now() + timedelta(days=2), AppointmentStatus.REQUESTED)
    confirmed = book(now() + timedelta(days=5), patient=make_user(first_name="Al", last_name="Bo"))
    done = book(now() - timedelta(days=10), AppointmentStatus.COMPLETED)
    cancelled = book(now() + timedelta(days=6), AppointmentStatus.CANCELLED)
    missed = book(now() - timedelta(days=3), AppointmentStatus.NO_SHOW)
    far = book(now() + timedelta(days=100))
    old = book(now() - timedelta(days=40), AppointmentStatus.COMPLETED)
    olivia = make_provider("Olivia Other", [clinic.location], slug="olivia")
    theirs = book(now() + timedelta(days=2), provider=olivia)

    response = fetch(app, subscribe(client))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    events = events_of(response)
    uid = "appointment-{}@example.org".format
    assert set(events) == {uid(soon.id), uid(confirmed.id), uid(done.id)}
    for absent in (cancelled, missed, far, old, theirs):
        assert uid(absent.id) not in events
    assert str(events[uid(soon.id)]["status"]) == "TENTATIVE"
    assert str(events[uid(confirmed.id)]["status"]) == "CONFIRMED"
    assert str(events[uid(done.id)]["status"]) == "CONFIRMED"
    assert events[uid(confirmed.id)]["sequence"] == confirmed.revision


def test_each_event_is_in_the_locations_zone_with_initials_and_type_only(
    app, client, ben, book, clinic
):
    warning = screen({"anticoagulants": "yes", "anticoagulants_detail": "warfarin"})
    visit = book(
        now() + timedelta(days=3),
        screening_snapshot=warning.to_dict(),
        needs_review=True,
        urgent=True,
        review_outcome="cleared",
        review_note="Light technique",
        patient_note="Left calf",
    )

    response = fetch(app, subscribe(client))

    calendar = Calendar.from_ical(response.get_data())
    assert "METHOD" not in calendar
    assert "Ben Durham" in str(calendar["X-WR-CALNAME"])
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "M.L. \N{EN DASH} Dry needling follow-up"
    assert str(event["location"]) == f"Durham Central, {clinic.location.one_line_address}"
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert getattr(start.tzinfo, "key", None) == "America/New_York"
    assert start == visit.starts_at and end == visit.ends_at
    text = response.get_data(as_text=True)
    for secret in (
        "Lopez",
        "Maria",
        "warfarin",
        "bleeding",
        "Urgent",
        "Review",
        "Cleared",
        "Light technique",
        "Left calf",
        "blood thinners",
    ):
        assert secret.lower() not in text.lower(), secret


def test_a_new_address_retires_the_old_one(app, client, ben, book):
    book(now() + timedelta(days=1))
    old = subscribe(client)
    new = subscribe(client)
    assert old != new
    assert fetch(app, old).status_code == 404
    assert fetch(app, new).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/schedule/feed/not-a-token.ics",
        "/schedule/feed/.ics",
        "/schedule/feed/" + "A" * 43 + ".ics",
        "/schedule/feed/" + "x" * 5000 + ".ics",
    ],
)
def test_a_bad_token_is_not_found(app, client, ben, path):
    subscribe(client)
    response = fetch(app, path)
    assert response.status_code == 404
    assert "BEGIN:VCALENDAR" not in response.get_data(as_text=True)


def test_the_hash_itself_is_not_a_key(app, client, ben):
    subscribe(client)
    assert fetch(app, f"/schedule/feed/{stored_hash(app, ben)}.ics").status_code == 404


def test_a_deactivated_therapists_feed_stops(app, client, ben, book):
    book(now() + timedelta(days=1))
    path = subscribe(client)
    with app.app_context():
        db.session.get(User, ben.user_id).active = False
        db.session.commit()
    assert fetch(app, path).status_code == 404


def test_no_feed_exists_until_one_is_made(app, make_provider):
    make_provider("No Feed")
    assert fetch(app, "/schedule/feed/None.ics").status_code == 404


@pytest.mark.parametrize("role", [Role.PATIENT, Role.FRONT_DESK])
def test_only_therapists_make_feed_addresses(client, make_user, login_as, role):
    login_as(make_user(role))
    assert client.post("/schedule/feed-token").status_code == 403


def test_a_feed_costs_the_same_queries_for_few_or_many_visits(
    app, client, ben, book, make_user, count_queries
):
    path = subscribe(client)
    counts = []
    first = now() + timedelta(days=1)
    made = 0
    for total in (5, 50):
        while made < total:
            book(first + timedelta(hours=made), patient=make_user())
            made += 1
        with count_queries() as queries:
            response = fetch(app, path)
        assert len(events_of(response)) == total
        counts.append(len([q for q in queries if q != "BEGIN"]))
    assert counts == [2, 2]  # the provider by token hash, then its appointments
