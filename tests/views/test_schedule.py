"""A therapist checks the day and the week, marks visits done or missed, reviews precautions,
and keeps working hours and time off, without ever dropping a booked patient."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import url_for
from sqlalchemy import select

from intake.domain.screening import rule_for, screen
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    ConsentWithdrawal,
    Location,
    OutboxMessage,
    Provider,
    SignedConsent,
    TimeOff,
    User,
    WorkingHours,
)
from intake.permissions import Role
from tests.conftest import persist
from tests.support.clock import coming
from tests.support.notes import signed_note

NY = ZoneInfo("America/New_York")
CONFIRMED, REQUESTED = AppointmentStatus.CONFIRMED, AppointmentStatus.REQUESTED


def durham(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Wall-clock time in Durham as the aware UTC instant stored."""
    return datetime(year, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def span(start: str, end: str) -> str:
    return f"{start}\N{EN DASH}{end}"


def now() -> datetime:
    return datetime.now(UTC)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def load(app, model, id_):
    with app.app_context():
        row = db.session.get(model, id_)
        db.session.expunge(row)
        return row


def rows(app, model, *where):
    with app.app_context():
        found = db.session.scalars(select(model).where(*where)).all()
        db.session.expunge_all()
        return found


@pytest.fixture
def book(clinic, make_appointment, make_user):
    """An appointment with Ben (or another provider) for a new patient, or the one given."""

    def build(starts_at, status=REQUESTED, patient=None, provider=None, kind=None, **fields):
        patient = patient or make_user(first_name="Maria", last_name="Lopez")
        provider = provider or clinic.provider
        return make_appointment(
            patient, provider, clinic.location, kind or clinic.type, starts_at, status, **fields
        )

    return build


def user_of(app, provider) -> User:
    return load(app, User, provider.user_id)


@pytest.fixture
def ben(app, clinic, login_as):
    """Ben, the clinic's therapist, signed in."""
    login_as(user_of(app, clinic.provider))
    return clinic.provider


@pytest.fixture
def other_therapist(clinic, make_provider):
    return make_provider("Olivia Other", [clinic.location], slug="olivia")


# --- who may look -----------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/schedule")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


@pytest.mark.parametrize("role", [Role.PATIENT, Role.FRONT_DESK])
def test_patients_and_the_front_desk_are_refused(client, make_user, login_as, role):
    login_as(make_user(role))
    for url in ("/schedule", "/schedule/hours", "/schedule/time-off", "/schedule/feed-token"):
        assert client.get(url).status_code == 403, url


def test_a_therapist_without_a_provider_profile_gets_a_friendly_page(client, make_user, login_as):
    login_as(make_user(Role.THERAPIST))
    for url in ("/schedule", "/schedule/hours", "/schedule/time-off"):
        assert "Your schedule is not set up yet" in page(client.get(url))


def test_an_admin_passes_the_guard_and_sees_the_same_friendly_page(client, make_user, login_as):
    login_as(make_user(Role.ADMIN))
    assert "Your schedule is not set up yet" in page(client.get("/schedule"))


def test_the_schedule_follows_a_change_to_the_therapists_profile_at_once(app, client, ben, clinic):
    """The day and week read the profile from the directory cache: a change to its name or to
    its location's zone shows on the next page, as on the public pages."""
    html = page(client.get("/schedule"))
    assert f'<p class="hint">{ben.display_name}. Times are local to America/New York.' in html
    with app.app_context():
        db.session.get(Provider, ben.id).display_name = "Benjamin Renamed"
        db.session.get(Location, clinic.location.id).timezone = "America/Chicago"
        db.session.commit()
    html = page(client.get("/schedule"))
    assert '<p class="hint">Benjamin Renamed. Times are local to America/Chicago.' in html


# --- day and week -----------------------------------------------------------------------------


def test_the_week_shows_own_appointments_by_day_in_distinct_styles(
    client, ben, book, make_user, other_therapist
):
    book(durham(2026, 12, 7, 9), CONFIRMED)  # Monday, Maria Lopez
    book(durham(2026, 12, 9, 10, 30), patient=make_user(first_name="John", last_name="Smith"))
    book(
        durham(2026, 12, 8, 11),
        provider=other_therapist,
        patient=make_user(first_name="Zed", last_name="Stranger"),
    )
    book(
        durham(2026, 12, 10, 9),
        AppointmentStatus.CANCELLED,
        patient=make_user(first_name="Carla", last_name="Cancelled"),
    )
    book(durham(2026, 12, 14, 9), CONFIRMED, patient=make_user(last_name="NextWeek"))

    html = page(client.get("/schedule?view=week&date=2026-12-09"))

    assert "Week of December 7, 2026" in html
    monday, wednesday = html.index("Monday, December 7, 2026"), html.index("Wednesday, December 9")
    assert monday < html.index("Maria Lopez") < wednesday < html.index("John Smith")
    assert span("9:00 AM", "9:30 AM") in html and span("10:30 AM", "11:00 AM") in html
    assert 'class="appt appt-confirmed"' in html and 'class="appt appt-requested"' in html
    assert ">Confirmed<" in html and ">Requested<" in html
    assert "Dry needling follow-up · Durham Central" in html
    for absent in ("Stranger", "Cancelled", "NextWeek"):  # others', hidden, out of the week
        assert absent not in html


def test_cancelled_and_declined_show_only_when_asked(client, ben, book, make_user):
    book(durham(2026, 12, 10, 9), AppointmentStatus.CANCELLED)
    book(
        durham(2026, 12, 10, 10),
        AppointmentStatus.DECLINED,
        patient=make_user(first_name="Dan", last_name="Declined"),
    )
    assert "Lopez" not in page(client.get("/schedule?date=2026-12-10"))
    html = page(client.get("/schedule?date=2026-12-10&show=all"))
    assert "Maria Lopez" in html and ">Cancelled<" in html
    assert "Dan Declined" in html and ">Declined<" in html


def test_the_day_view_shows_that_day_only(client, ben, book, make_user):
    book(durham(2026, 12, 7, 9), CONFIRMED)
    book(durham(2026, 12, 8, 9), patient=make_user(first_name="Tess", last_name="Tuesday"))
    html = page(client.get("/schedule?view=day&date=2026-12-08"))
    assert "Tuesday, December 8, 2026" in html
    assert "Tess Tuesday" in html and "Lopez" not in html


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("view=day&date=2026-12-08", "Day: Tuesday, December 8, 2026 · My schedule"),
        ("view=week&date=2026-12-09", "Week of December 7, 2026 · My schedule"),
        ("date=2026-12-09", "Week of December 7, 2026 · My schedule"),
    ],
)
def test_the_page_title_says_whether_a_day_or_a_week_is_shown(client, ben, query, title):
    html = page(client.get(f"/schedule?{query}"))
    assert re.search(r"<title>(.*) · [^<]*</title>", html)[1] == title


def test_previous_next_and_today_links(client, ben):
    html = page(client.get("/schedule?view=week&date=2026-12-09"))
    assert 'href="/schedule?view=week&amp;date=2026-11-30">Previous week' in html
    assert 'href="/schedule?view=week&amp;date=2026-12-14">Next week' in html
    assert 'href="/schedule?view=week">Today' in html
    html = page(client.get("/schedule?view=day&date=2026-12-09"))
    assert 'date=2026-12-08">Previous day' in html and 'date=2026-12-10">Next day' in html


@pytest.mark.parametrize(
    "query",
    [
        "view=month&date=2026-13-45",
        "date=yesterday",
        "view=&date=",
        "date=" + "9" * 500,
        "date=9999-12-31",
        "view=day&date=0001-01-01",
    ],
)
def test_unreadable_view_or_date_falls_back_to_today(client, ben, query):
    today = now().astimezone(NY).date()
    monday = today - timedelta(days=today.weekday())
    html = page(client.get(f"/schedule?{query}"))
    if "view=day" in query:
        assert f"{today:%A, %B} {today.day}, {today.year}" in html
    else:
        assert f"Week of {monday:%B} {monday.day}, {monday.year}" in html


def test_times_stay_on_the_wall_clock_across_the_end_of_daylight_saving(
    client, ben, book, make_user
):
    # Clocks fell back at 2:00 AM on Sunday 2026-11-01: EDT (-4) before, EST (-5) after.
    friday = book(durham(2026, 10, 30, 9), CONFIRMED)
    sunday = book(durham(2026, 11, 1, 9), patient=make_user(last_name="Sunday"))
    late = book(durham(2026, 11, 1, 23, 15), patient=make_user(last_name="Late"))
    monday = book(durham(2026, 11, 2, 9), CONFIRMED, patient=make_user(last_name="Monday"))
    assert friday.starts_at.hour == 13 and sunday.starts_at.hour == 14
    assert late.starts_at.date() == date(2026, 11, 2)  # Monday already in UTC
    assert monday.starts_at.hour == 14

    html = page(client.get("/schedule?view=week&date=2026-10-30"))
    assert html.count(span("9:00 AM", "9:30 AM")) == 2  # Friday (EDT) and Sunday (EST)
    sunday_heading = html.index("Sunday, November 1, 2026")
    assert sunday_heading < html.index("Test Late") and "11:15 PM" in html  # still Sunday
    assert "Monday, November 2" not in html

    next_week = re.search(r'href="([^"]+)">Next week', html).group(1).replace("&amp;", "&")
    html = page(client.get(next_week))
    assert "Week of November 2, 2026" in html and html.count(span("9:00 AM", "9:30 AM")) == 1


def test_flags_in_words_and_links_to_record_and_consent(client, ben, book, ready_patient, app):
    patient = ready_patient()
    consent = rows(app, SignedConsent, SignedConsent.patient_id == patient.id)[0]
    appointment = book(
        durham(2026, 12, 7, 9),
        patient=patient,
        urgent=True,
        needs_review=True,
        consent_id=consent.id,
    )
    book(durham(2026, 12, 8, 9), CONFIRMED, needs_review=True, review_outcome="cleared")
    book(durham(2026, 12, 9, 9), needs_review=True, review_outcome="not_suitable")

    html = page(client.get("/schedule?date=2026-12-07"))

    for word, colour in (
        ("Urgent", "danger"),
        ("Review needed", "warn"),
        ("Cleared", "ok"),
        ("Not suitable", "danger"),
    ):
        assert f'<span class="badge badge-{colour}">{word}</span>' in html
    with app.test_request_context():
        record = url_for("records.patient", patient_id=patient.id)
    assert f'href="{record}">Maria Lopez' in html
    assert f'href="/consent/{consent.id}">Signed consent' in html
    assert f'href="/schedule/appointments/{appointment.id}/review">Review screening' in html


def test_the_consent_shown_is_the_patients_as_it_stands_not_as_it_was_at_booking(
    client, ben, book, ready_patient, make_user, app
):
    # Booked by phone before signing (no consent with the visit), then signed from the link.
    signed_later = ready_patient()
    book(durham(2026, 12, 7, 9), CONFIRMED, patient=signed_later)
    # Booked with a signed consent, which the patient then withdrew.
    withdrew = ready_patient()
    withdrawn = rows(app, SignedConsent, SignedConsent.patient_id == withdrew.id)[0]
    book(durham(2026, 12, 7, 10), CONFIRMED, patient=withdrew, consent_id=withdrawn.id)
    persist(app, ConsentWithdrawal(consent_id=withdrawn.id, ip_address="::1"))
    # Never signed at all.
    book(durham(2026, 12, 7, 11), CONFIRMED, patient=make_user(first_name="Nia"))

    html = page(client.get("/schedule?date=2026-12-07"))

    later = rows(app, SignedConsent, SignedConsent.patient_id == signed_later.id)[0]
    assert f'href="/consent/{later.id}">Signed consent' in html
    assert f'href="/consent/{withdrawn.id}">Signed consent' not in html
    assert '<span class="badge badge-danger">Withdrawn (v1)</span>' in html
    assert html.count("No consent on file") == 1


@pytest.mark.parametrize("how_many", [5, 50])
def test_the_week_costs_a_fixed_number_of_queries(
    app, client, ben, book, make_user, count_queries, how_many
):
    monday = date(2026, 12, 7)
    for n in range(how_many):
        day, slot = divmod(n, 8)  # eight 40-minute visits a day from 8:00
        start = datetime.combine(monday + timedelta(days=day), time(8), tzinfo=NY)
        status = AppointmentStatus.COMPLETED if n % 2 else REQUESTED
        visit = book((start + timedelta(minutes=40 * slot)).astimezone(UTC), status, make_user())
        if n % 2:  # every other visit done, with its signed note, an event and an addendum
            signed_note(app, visit, events=["bruising"], addenda=["Also the soleus."])

    client.get("/schedule")  # the therapist's profile comes from the directory cache, warm
    with count_queries() as queries:
        html = page(client.get("/schedule?view=week&date=2026-12-07"))

    assert html.count('class="appt ') == how_many
    assert html.count("Session note:") == how_many // 2
    assert html.count("adverse events: bruising") == how_many // 2
    assert html.count("· 1 addendum") == how_many // 2
    # The user, the appointments with their notes (and a count of addenda), the notes'
    # events, the completed visits' check-ins, the patients' consents as they stand; staff
    # pages have no footer.
    assert len([q for q in queries if q != "BEGIN"]) == 5, queries


# --- completed and no-show ------------------------------------------------------------------


def mark(client, appointment, outcome="completed", revision=None):
    return client.post(
        f"/schedule/appointments/{appointment.id}/outcome",
        data={"outcome": outcome, "revision": revision or appointment.revision},
    )


@pytest.fixture
def manual_therapy(make_type):
    """A visit type without needles: it completes with a click, no session note."""
    return make_type(name="Manual therapy", involves_dry_needling=False)


def test_a_confirmed_visit_is_marked_completed_after_it_started(
    app, client, ben, book, manual_therapy
):
    started = book(now() - timedelta(hours=1), CONFIRMED, kind=manual_therapy)
    html = page(client.get(f"/schedule?view=day&date={started.starts_at.astimezone(NY).date()}"))
    assert "Mark completed" in html and "Mark no-show" in html

    response = mark(client, started)

    assert response.status_code == 302
    assert "marked completed" in page(client.get(response.headers["Location"]))
    assert load(app, Appointment, started.id).status == AppointmentStatus.COMPLETED
    history = rows(app, AppointmentEvent, AppointmentEvent.appointment_id == started.id)
    assert [(h.action, h.from_status, h.to_status, h.actor_id) for h in history] == [
        ("completed", "confirmed", "completed", ben.user_id)
    ]
    assert rows(app, AuditEvent, AuditEvent.action == "status_changed")[0].actor_id == ben.user_id
    assert rows(app, OutboxMessage) == []  # no email for a visit without needling


def test_a_no_show_is_recorded_the_same_way(app, client, ben, book):
    started = book(now() - timedelta(minutes=20), CONFIRMED)
    mark(client, started, "no_show")
    assert load(app, Appointment, started.id).status == AppointmentStatus.NO_SHOW


def test_a_visit_cannot_be_marked_before_it_starts(app, client, ben, book):
    later = book(now() + timedelta(days=2), CONFIRMED)
    assert "Mark completed" not in page(
        client.get(f"/schedule?view=day&date={later.starts_at.astimezone(NY).date()}")
    )
    response = mark(client, later)
    assert "once its start time has passed" in page(client.get(response.headers["Location"]))
    assert load(app, Appointment, later.id).status == CONFIRMED


def test_only_a_confirmed_visit_can_be_marked(app, client, ben, book):
    requested = book(now() - timedelta(hours=1))
    response = mark(client, requested)
    assert "Only a confirmed appointment" in page(client.get(response.headers["Location"]))
    assert load(app, Appointment, requested.id).status == REQUESTED


def test_another_therapists_visit_is_not_found(app, client, ben, book, other_therapist):
    theirs = book(now() - timedelta(hours=1), CONFIRMED, provider=other_therapist)
    assert mark(client, theirs).status_code == 404
    assert load(app, Appointment, theirs.id).status == CONFIRMED


def test_a_stale_page_changes_nothing(app, client, ben, book):
    started = book(now() - timedelta(hours=1), CONFIRMED, revision=3)
    response = mark(client, started, revision=2)
    assert "Someone else changed" in page(client.get(response.headers["Location"]))
    assert load(app, Appointment, started.id).status == CONFIRMED
    assert rows(app, AppointmentEvent) == []


# --- therapist review -----------------------------------------------------------------------


@pytest.fixture
def flagged(book):
    """A request whose intake said the patient takes blood thinners."""
    result = screen({"anticoagulants": "yes", "anticoagulants_detail": "warfarin"})
    return book(now() + timedelta(days=3), screening_snapshot=result.to_dict(), needs_review=True)


def test_the_review_page_shows_findings_with_reasons_and_is_audited(app, client, ben, flagged):
    html = page(client.get(f"/schedule/appointments/{flagged.id}/review"))
    assert "Precaution" in html and rule_for("anticoagulants").reason in html
    assert "warfarin" in html and "Review needed" in html
    audit = rows(app, AuditEvent, AuditEvent.action == "viewed_screening")
    assert [(a.actor_id, a.patient_id, a.object_id) for a in audit] == [
        (ben.user_id, flagged.patient_id, flagged.id)
    ]


def test_the_review_page_flags_a_consent_withdrawn_after_booking(
    app, client, ben, book, ready_patient
):
    patient = ready_patient()
    consent = rows(app, SignedConsent, SignedConsent.patient_id == patient.id)[0]
    result = screen({"anticoagulants": "yes", "anticoagulants_detail": "warfarin"})
    flagged = book(
        now() + timedelta(days=3),
        patient=patient,
        consent_id=consent.id,
        screening_snapshot=result.to_dict(),
        needs_review=True,
    )
    persist(app, ConsentWithdrawal(consent_id=consent.id, ip_address="::1"))

    html = page(client.get(f"/schedule/appointments/{flagged.id}/review"))

    assert f'href="/consent/{consent.id}">Signed consent' not in html
    assert '<span class="badge badge-danger">Withdrawn (v1)</span>' in html


def review(client, appointment, **data):
    return client.post(
        f"/schedule/appointments/{appointment.id}/review",
        data={"revision": appointment.revision, **data},
    )


def test_clearing_records_who_when_and_why_without_changing_the_status(app, client, ben, flagged):
    response = review(client, flagged, outcome="cleared", note="INR stable; light technique.")
    assert response.status_code == 302
    assert "Your review is recorded" in page(client.get(response.headers["Location"]))

    stored = load(app, Appointment, flagged.id)
    assert stored.status == REQUESTED and stored.revision == flagged.revision + 1
    assert (stored.review_outcome, stored.reviewed_by_id) == ("cleared", ben.user_id)
    assert stored.review_note == "INR stable; light technique." and stored.reviewed_at
    history = rows(app, AppointmentEvent, AppointmentEvent.appointment_id == flagged.id)
    assert [(h.action, h.from_status, h.to_status, h.detail) for h in history] == [
        ("reviewed", "requested", "requested", "Cleared")
    ]
    audit = rows(app, AuditEvent, AuditEvent.action == "reviewed")
    assert [(a.actor_id, a.patient_id) for a in audit] == [(ben.user_id, flagged.patient_id)]


def test_not_suitable_is_recorded_for_the_front_desk_to_decline(app, client, ben, flagged):
    review(client, flagged, outcome="not_suitable", note="Needs GP review first.")
    stored = load(app, Appointment, flagged.id)
    assert (stored.status, stored.review_outcome) == (REQUESTED, "not_suitable")
    assert "Not suitable" in page(client.get(f"/schedule/appointments/{flagged.id}/review"))


@pytest.mark.parametrize("outcome", ["cleared", "not_suitable"])
def test_a_review_needs_a_note(app, client, ben, flagged, outcome):
    response = review(client, flagged, outcome=outcome, note="   ")
    assert response.status_code == 400
    assert "Please write a note" in response.get_data(as_text=True)
    assert load(app, Appointment, flagged.id).review_outcome is None
    assert rows(app, AuditEvent, AuditEvent.action == "reviewed") == []


def test_a_review_needs_a_decision(app, client, ben, flagged):
    assert review(client, flagged, note="Fine").status_code == 400
    assert load(app, Appointment, flagged.id).review_outcome is None


def test_only_the_appointments_own_therapist_may_review(
    app, client, book, other_therapist, login_as, flagged
):
    login_as(user_of(app, other_therapist))
    assert client.get(f"/schedule/appointments/{flagged.id}/review").status_code == 404
    assert review(client, flagged, outcome="cleared", note="ok").status_code == 404
    assert load(app, Appointment, flagged.id).review_outcome is None
    assert rows(app, AuditEvent, AuditEvent.action.in_(["viewed_screening", "reviewed"])) == []


def test_a_review_on_a_stale_page_is_not_applied(app, client, ben, flagged):
    with app.app_context():
        db.session.get(Appointment, flagged.id).revision += 1
        db.session.commit()
    response = review(client, flagged, outcome="cleared", note="ok")
    assert "Someone else changed" in page(client.get(response.headers["Location"]))
    assert load(app, Appointment, flagged.id).review_outcome is None


# --- working hours --------------------------------------------------------------------------


def blocks(app, provider):
    found = rows(app, WorkingHours, WorkingHours.provider_id == provider.id)
    return sorted((b.location_id, b.weekday, b.starts, b.ends) for b in found)


def test_the_hours_page_lists_blocks_per_location(client, ben, make_location, app):
    chapel_hill = make_location("27514", name="Chapel Hill")
    with app.app_context():
        provider = db.session.merge(ben)
        provider.locations.append(db.session.merge(chapel_hill))
        db.session.add(
            WorkingHours(
                provider=provider,
                location_id=chapel_hill.id,
                weekday=5,
                starts=time(8),
                ends=time(10, 30),
            )
        )
        db.session.commit()
    html = page(client.get("/schedule/hours"))
    assert html.index("Chapel Hill") < html.index("Saturday") < html.index("Durham Central")
    assert "10:30 AM" in html and html.count("Monday") >= 1


def test_adding_hours_on_the_quarter_hour(app, client, ben, clinic):
    form = {"location": clinic.location.id, "weekday": 5, "starts": "08:15", "ends": "11:45"}
    response = client.post("/schedule/hours", data=form)
    assert response.status_code == 302
    assert (clinic.location.id, 5, time(8, 15), time(11, 45)) in blocks(app, ben)
    audit = rows(app, AuditEvent, AuditEvent.action == "changed_hours")
    assert [(a.actor_id, a.object_type) for a in audit] == [(ben.user_id, "working_hours")]


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ("08:10", "10:00", "quarter hour"),
        ("10:00", "09:00", "must end after it starts"),
        ("", "09:00", "Please give a start time"),
    ],
)
def test_hours_off_the_grid_or_backwards_are_refused(
    app, client, ben, clinic, starts, ends, message
):
    before = blocks(app, ben)
    form = {"location": clinic.location.id, "weekday": 5, "starts": starts, "ends": ends}
    response = client.post("/schedule/hours", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert blocks(app, ben) == before


def test_hours_follow_the_clinics_slot_grid_when_it_is_not_the_quarter_hour(
    app, client, ben, clinic
):
    app.config["INTAKE_SLOT_GRID_MINUTES"] = 30
    assert 'step="1800"' in page(client.get("/schedule/hours"))
    before = blocks(app, ben)
    form = {"location": clinic.location.id, "weekday": 5, "starts": "08:15", "ends": "11:30"}

    refused = client.post("/schedule/hours", data=form)

    assert refused.status_code == 400
    assert "Use a time on the half hour, such as 9:00 or 9:30." in refused.get_data(as_text=True)
    assert blocks(app, ben) == before
    form["starts"] = "08:30"
    assert client.post("/schedule/hours", data=form).status_code == 302
    assert (clinic.location.id, 5, time(8, 30), time(11, 30)) in blocks(app, ben)


def test_hours_overlapping_the_same_day_at_any_location_are_refused(
    app, client, ben, clinic, make_location
):
    raleigh = make_location("27601", name="Raleigh")
    with app.app_context():
        provider = db.session.merge(ben)
        provider.locations.append(db.session.merge(raleigh))
        db.session.commit()
    before = blocks(app, ben)
    form = {"location": raleigh.id, "weekday": 0, "starts": "11:30", "ends": "14:00"}
    response = client.post("/schedule/hours", data=form)
    assert response.status_code == 409
    assert "overlaps hours you already work" in response.get_data(as_text=True)
    assert blocks(app, ben) == before
    # Right after the Durham morning is fine: blocks may touch.
    form["starts"] = "12:00"
    assert client.post("/schedule/hours", data=form).status_code == 302


def test_hours_only_at_the_therapists_own_locations(app, client, ben, make_location):
    elsewhere = make_location("27601", name="Elsewhere")
    form = {"location": elsewhere.id, "weekday": 5, "starts": "09:00", "ends": "10:00"}
    assert client.post("/schedule/hours", data=form).status_code == 400
    assert all(b[0] != elsewhere.id for b in blocks(app, ben))


def block_id(app, provider, weekday):
    found = rows(app, WorkingHours, WorkingHours.provider_id == provider.id)
    return next(b.id for b in found if b.weekday == weekday)


def test_removing_hours_with_booked_patients_is_refused_listing_them(app, client, ben, book):
    monday = coming(now(), 0)
    booked = book(durham(monday.year, monday.month, monday.day, 10), CONFIRMED)
    book(durham(monday.year, monday.month, monday.day, 13), patient=None)  # after the block
    monday_block = block_id(app, ben, 0)

    response = client.post(f"/schedule/hours/{monday_block}/remove")

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Those hours still have booked patients" in html
    assert f"{monday:%A, %B} {monday.day}, {monday.year} at 10:00 AM" in html
    assert "M.L., Dry needling follow-up (confirmed)" in html and "Lopez" not in html
    assert "1:00 PM" not in html
    assert load(app, WorkingHours, monday_block).weekday == 0
    assert booked.id


def test_removing_hours_without_booked_patients(app, client, ben, book):
    monday = coming(now(), 0)
    book(durham(monday.year, monday.month, monday.day, 10), AppointmentStatus.CANCELLED)
    tuesday = monday + timedelta(days=1)
    book(durham(tuesday.year, tuesday.month, tuesday.day, 10), CONFIRMED)
    response = client.post(f"/schedule/hours/{block_id(app, ben, 0)}/remove")
    assert response.status_code == 302
    assert [b[1] for b in blocks(app, ben)] == [1, 2, 3, 4]
    assert rows(app, AuditEvent, AuditEvent.action == "changed_hours")[0].actor_id == ben.user_id


def test_another_therapists_hours_cannot_be_removed(app, client, ben, clinic, make_provider):
    olivia = make_provider(
        "Olivia", [clinic.location], hours=[(clinic.location, 0, time(9), time(12))]
    )
    theirs = block_id(app, olivia, 0)
    assert client.post(f"/schedule/hours/{theirs}/remove").status_code == 404
    assert load(app, WorkingHours, theirs)


# --- time off -------------------------------------------------------------------------------


def wall(moment: datetime) -> str:
    return moment.astimezone(NY).strftime("%Y-%m-%dT%H:%M")


def test_time_off_is_stored_in_utc_and_listed(app, client, ben):
    day = coming(now(), 2)
    start = datetime.combine(day, time(13), tzinfo=NY)
    response = client.post(
        "/schedule/time-off",
        data={"starts": wall(start), "ends": wall(start + timedelta(hours=4)), "reason": "Course"},
    )
    assert response.status_code == 302
    stored = rows(app, TimeOff, TimeOff.provider_id == ben.id)
    assert [(t.starts_at, t.ends_at, t.reason) for t in stored] == [
        (start.astimezone(UTC), (start + timedelta(hours=4)).astimezone(UTC), "Course")
    ]
    html = page(client.get("/schedule/time-off"))
    assert f"{day:%A, %B} {day.day}, {day.year} at 1:00 PM" in html and "Course" in html
    assert rows(app, AuditEvent, AuditEvent.action == "changed_time_off")[0].actor_id == ben.user_id


def test_time_off_over_booked_patients_is_refused_listing_them(app, client, ben, book, make_user):
    day = coming(now(), 3)
    hit = book(durham(day.year, day.month, day.day, 10, 30), CONFIRMED)
    book(
        durham(day.year, day.month, day.day, 11, 15),
        patient=make_user(first_name="Jo", last_name="Kim"),
    )
    book(durham(day.year, day.month, day.day, 11, 45), AppointmentStatus.CANCELLED)
    start = datetime.combine(day, time(10), tzinfo=NY)

    response = client.post(
        "/schedule/time-off",
        data={"starts": wall(start), "ends": wall(start + timedelta(hours=2)), "reason": ""},
    )

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "That time off overlaps booked appointments" in html
    listing = html.split("overlaps booked appointments")[1].split("</ul>")[0]
    assert f"{day:%A, %B} {day.day}, {day.year} at 10:30 AM" in listing
    assert "M.L., Dry needling follow-up (confirmed)" in listing
    assert "J.K., Dry needling follow-up (requested)" in listing
    assert "11:45 AM" not in listing  # the cancelled one no longer holds the time
    assert "Lopez" not in html and "Kim" not in html
    assert rows(app, TimeOff) == []
    assert hit.id


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ("2030-01-02T10:00", "2030-01-02T09:00", "must end after it starts"),
        ("2020-01-02T10:00", "2020-01-02T11:00", "already passed"),
        ("not a date", "2030-01-02T09:00", "Not a valid datetime value"),
        ("9999-12-31T22:00", "9999-12-31T23:00", "Please give a date in this century"),
        ("0001-01-01T00:00", "0001-01-01T01:00", "Please give a date in this century"),
    ],
)
def test_time_off_that_ends_first_or_is_past_is_refused(app, client, ben, starts, ends, message):
    response = client.post("/schedule/time-off", data={"starts": starts, "ends": ends})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert rows(app, TimeOff) == []


def test_own_time_off_can_be_deleted_but_not_anothers(app, client, ben, clinic, make_provider):
    olivia = make_provider("Olivia", [clinic.location])
    start = now() + timedelta(days=10)
    mine, theirs = persist(
        app,
        TimeOff(provider_id=ben.id, starts_at=start, ends_at=start + timedelta(hours=2)),
        TimeOff(provider_id=olivia.id, starts_at=start, ends_at=start + timedelta(hours=2)),
    )
    assert client.post(f"/schedule/time-off/{theirs.id}/delete").status_code == 404
    assert client.post(f"/schedule/time-off/{mine.id}/delete").status_code == 302
    assert [t.id for t in rows(app, TimeOff)] == [theirs.id]
