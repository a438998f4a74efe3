"""The clinic day calendar: the desk sees every therapist's day at a location side by side,
a therapist the same read-only; DST days keep their real hours; the look is audited; and the
page costs the same few queries whatever the number of visits."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, AuditEvent, TimeOff, User
from intake.permissions import Role
from tests.conftest import PASSWORD, persist

NY = ZoneInfo("America/New_York")
WEDNESDAY = date(2026, 1, 14)
SPRING_FORWARD = date(2026, 3, 8)  # a Sunday of 23 hours
FALL_BACK = date(2026, 11, 1)  # a Sunday of 25 hours
SUNDAY = 6


def at(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=NY).replace(fold=fold)
    return local.astimezone(UTC)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row_labels(html: str) -> list[str]:
    return [text_of(m).strip() for m in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', html)]


@pytest.fixture
def desk(make_user, login_as):
    user = make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")
    login_as(user)
    return user


@pytest.fixture
def day_at_durham(app, clinic, make_provider, make_user, make_appointment):
    """Ben works 9-12 and has two visits; Cleo works 9-12 with time off 10-11 and one visit."""
    cleo = make_provider(
        "Cleo Hart",
        [clinic.location],
        slug="cleo",
        user=make_user(Role.THERAPIST, email="cleo@example.org", first_name="Cleo"),
        hours=[(clinic.location, WEDNESDAY.weekday(), time(9), time(12))],
    )
    persist(
        app, TimeOff(provider_id=cleo.id, starts_at=at(WEDNESDAY, 10), ends_at=at(WEDNESDAY, 11))
    )
    maria = make_user(first_name="Maria", last_name="Lopez")
    omar = make_user(first_name="Omar", last_name="Said")
    pia = make_user(first_name="Pia", last_name="Ng")
    kind = clinic.type
    visits = {
        "maria": make_appointment(maria, clinic.provider, clinic.location, kind,
                                  at(WEDNESDAY, 9, 30), AppointmentStatus.CONFIRMED, urgent=True),
        "omar": make_appointment(omar, clinic.provider, clinic.location, kind,
                                 at(WEDNESDAY, 11), needs_review=True),
        "pia": make_appointment(pia, cleo, clinic.location, kind, at(WEDNESDAY, 9),
                                AppointmentStatus.CONFIRMED),
        "gone": make_appointment(make_user(first_name="Gone", last_name="Away"), cleo,
                                 clinic.location, kind, at(WEDNESDAY, 11),
                                 AppointmentStatus.CANCELLED),
    }  # fmt: skip
    return clinic, cleo, visits


def test_the_desk_sees_each_therapist_side_by_side(client, desk, day_at_durham):
    clinic, _, visits = day_at_durham
    response = client.get(f"/staff/calendar?date=2026-01-14&location={clinic.location.id}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Durham Central: Wednesday, January 14, 2026" in html
    columns = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html)
    assert columns == ["Time", "Ben Durham", "Cleo Hart"]
    # Rows on the clinic's slot grid (15 minutes by default), 9 to 12.
    labels = row_labels(html)
    assert labels[0] == "9:00 AM" and labels[-1].endswith("AM") and "12:00 PM" not in labels
    maria = visits["maria"]
    block = re.search(r'<td rowspan="(\d+)" class="cal-taken">(.*?)</td>', html, re.S)
    assert block is not None
    assert f'href="/staff/requests/{maria.id}">Maria Lopez</a>' in html
    assert f'href="/staff/requests/{visits["omar"].id}">Omar Said</a>' in html
    words = text_of(html)
    assert "9:30 AM to 10:00 AM Maria Lopez Dry needling follow-up Confirmed Urgent" in words
    assert "Omar Said Dry needling follow-up Requested Review needed" in words
    assert "Pia Ng" in words and "Gone Away" not in words  # a cancelled visit frees its time
    assert '<td rowspan="4" class="cal-off">Time off</td>' in html  # Cleo's 10-11, 15-min rows
    assert 'class="cal-working"' in html and html.count("<tr>") == 1 + len(labels)


def test_a_visit_spans_its_rows_on_the_slot_grid(client, desk, day_at_durham):
    clinic, _, _ = day_at_durham
    html = client.get(f"/staff/calendar?date=2026-01-14&location={clinic.location.id}").text
    # Every 30-minute visit covers two 15-minute rows.
    assert re.findall(r'<td rowspan="(\d+)" class="cal-taken">', html) == ["2", "2", "2"]


def test_the_look_is_audited(app, client, desk, day_at_durham):
    clinic, _, _ = day_at_durham
    client.get(f"/staff/calendar?date=2026-01-14&location={clinic.location.id}")
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "viewed_calendar")
        ).all()
        assert (event.actor_id, event.object_type, event.object_id) == (
            desk.id,
            "location",
            clinic.location.id,
        )
        assert event.detail == {"day": "2026-01-14"}


def test_previous_next_and_the_date_picker(client, desk, clinic):
    html = client.get(f"/staff/calendar?date=2026-01-14&location={clinic.location.id}").text
    loc = clinic.location.id
    assert f'href="/staff/calendar?date=2026-01-13&amp;location={loc}" rel="prev"' in html
    assert f'href="/staff/calendar?date=2026-01-15&amp;location={loc}" rel="next"' in html
    assert re.search(r'<form method="get" action="/staff/calendar"', html)
    assert 'type="date"' in html and 'value="2026-01-14"' in html


@pytest.mark.parametrize("bad", ["tomorrow", "2026-02-30", "9999-12-31", "0001-01-01"])
def test_a_day_that_does_not_read_shows_an_error_and_today(client, desk, clinic, bad):
    response = client.get(f"/staff/calendar?date={bad}&location={clinic.location.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in html and 'href="#date">Day</a>' in html
    today = datetime.now(NY).date()
    assert f"{today:%B} {today.day}, {today.year}</h1>" in html


def test_no_location_chosen_shows_the_first(client, desk, clinic):
    html = client.get("/staff/calendar").text
    assert "<h1>Durham Central:" in html


def test_a_location_that_does_not_exist_is_not_found(client, desk, clinic):
    assert client.get("/staff/calendar?location=999999").status_code == 404
    assert client.get("/staff/calendar?location=nonsense").status_code == 404


def test_a_day_nobody_works_says_so(client, desk, clinic):
    html = client.get(f"/staff/calendar?date=2026-01-17&location={clinic.location.id}").text
    assert "No therapist works at Durham Central on Saturdays" in html


@pytest.fixture
def night_owl(clinic, make_provider, make_user):
    """Sunday hours from 1 to 4 in the morning, to see the clocks change."""
    return make_provider(
        "Nia Owl",
        [clinic.location],
        slug="nia",
        user=make_user(Role.THERAPIST, first_name="Nia"),
        hours=[(clinic.location, SUNDAY, time(1), time(4))],
    )


def test_spring_forward_has_no_two_oclock(app, client, desk, clinic, night_owl):
    app.config["INTAKE_SLOT_GRID_MINUTES"] = 30
    html = client.get(f"/staff/calendar?date=2026-03-08&location={clinic.location.id}").text
    assert row_labels(html) == ["1:00 AM", "1:30 AM", "3:00 AM", "3:30 AM"]


def test_fall_back_shows_the_one_oclock_hour_twice_with_its_zone(
    app, client, desk, clinic, night_owl, make_appointment, make_user
):
    app.config["INTAKE_SLOT_GRID_MINUTES"] = 30
    second = make_appointment(
        make_user(first_name="Late", last_name="Owl"),
        night_owl,
        clinic.location,
        clinic.type,
        at(FALL_BACK, 1, 30, fold=1),
        AppointmentStatus.CONFIRMED,
    )
    html = client.get(f"/staff/calendar?date=2026-11-01&location={clinic.location.id}").text
    assert row_labels(html) == [
        "1:00 AM EDT", "1:30 AM EDT", "1:00 AM EST", "1:30 AM EST",
        "2:00 AM", "2:30 AM", "3:00 AM", "3:30 AM",
    ]  # fmt: skip
    # The visit sits in the second 1:30, the one in standard time.
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert f'/staff/requests/{second.id}"' in rows[4] and "1:30 AM EST" in text_of(rows[4])


# --- therapists, read-only ------------------------------------------------------------


def test_a_therapist_sees_the_day_read_only_with_links_to_their_own_patients(
    app, client, login_as, day_at_durham
):
    clinic, _, visits = day_at_durham
    with app.app_context():
        ben_user = db.session.get(User, clinic.provider.user_id)
        db.session.expunge(ben_user)
    login_as(ben_user)
    html = client.get(f"/staff/calendar?date=2026-01-14&location={clinic.location.id}").text

    assert "You can see this calendar but not change it" in html
    maria = visits["maria"]
    assert f'href="/records/patients/{maria.patient_id}">Maria Lopez</a>' in html
    assert "<strong>Pia Ng</strong>" in html  # Cleo's patient: named, not linked
    assert "/staff/requests/" not in html
    assert f"/records/patients/{visits['pia'].patient_id}" not in html


def test_a_therapist_cannot_open_a_location_they_do_not_work_at(
    client, login_as, clinic, make_location, make_provider, make_user
):
    elsewhere = make_location("27514", name="Chapel Hill", timezone="America/New_York")
    therapist = make_user(Role.THERAPIST)
    make_provider("Eli Far", [elsewhere], user=therapist)
    login_as(therapist)
    assert client.get(f"/staff/calendar?location={clinic.location.id}").status_code == 404
    assert "<h1>Chapel Hill:" in client.get("/staff/calendar").text
    assert f'value="{clinic.location.id}"' not in client.get("/staff/calendar").text


def test_a_patient_may_not_see_the_calendar(client, login_as, make_user, clinic):
    login_as(make_user())
    assert client.get("/staff/calendar").status_code == 403


# --- the staff workspace --------------------------------------------------------------


def test_staff_pages_have_the_staff_layout_and_patients_keep_theirs(
    client, desk, clinic, make_user
):
    html = client.get(f"/staff/calendar?location={clinic.location.id}").text
    assert '<body class="staff">' in html
    assert 'aria-label="Staff"' in html and 'aria-current="page">Calendar</a>' in html
    assert "Our clinics" not in html  # no patient footer
    assert '<script src="/static/error-summary.js" defer></script>' in html
    queue = client.get("/staff/requests").text
    assert 'href="/staff/calendar"' in queue and 'aria-current="page">Requests</a>' in queue
    assert "Our clinics" not in queue
    public = client.get("/dry-needling").text
    assert "Our clinics" in public and "error-summary.js" not in public


def test_the_kept_staff_links_follow_each_role_and_section(
    app, client, login_as, make_user, make_provider, clinic
):
    """The header's links are rendered once per role and section, then kept: a therapist
    signing in after the desk on the same worker gets a therapist's links, never the desk's."""
    nav = re.compile(r'<nav aria-label="Staff">(.*?)</nav>', re.S)
    therapist_user = make_user(Role.THERAPIST)
    make_provider(user=therapist_user)  # before any page: a new provider renews the kept parts
    login_as(make_user(Role.FRONT_DESK))
    desk_calendar = nav.search(client.get("/staff/calendar").text).group(1)
    assert ">Requests</a>" in desk_calendar and ">My schedule</a>" not in desk_calendar
    assert 'aria-current="page">Calendar</a>' in desk_calendar
    desk_queue = nav.search(client.get("/staff/requests").text).group(1)
    assert 'aria-current="page">Requests</a>' in desk_queue
    assert 'aria-current="page">Calendar</a>' not in desk_queue
    other_browser = app.test_client()
    signed_in = {"email": therapist_user.email, "password": PASSWORD}
    assert other_browser.post("/account/login", data=signed_in).status_code == 302
    therapist = nav.search(other_browser.get("/staff/calendar").text).group(1)
    assert ">My schedule</a>" in therapist and ">Requests</a>" not in therapist
    assert 'aria-current="page">Calendar</a>' in therapist


# --- cost ----------------------------------------------------------------------------


@pytest.mark.parametrize("how_many", [10, 1000])
def test_the_day_costs_the_same_queries_whatever_its_visits(
    app, client, desk, clinic, make_provider, make_user, count_queries, how_many
):
    """Twenty-one therapists with 48 half-hour visits each fit 1,000 visits into one day."""
    app.config["INTAKE_SLOT_GRID_MINUTES"] = 30
    place = clinic.location
    therapists = [
        make_provider(f"Therapist {n:02}", [place], slug=f"t{n}",
                      hours=[(place, WEDNESDAY.weekday(), time(0), time(23, 30))])
        for n in range(21)
    ]  # fmt: skip
    patient = make_user(first_name="Many", last_name="Visits")
    with app.app_context():
        for n in range(how_many):
            provider, slot = therapists[n % 21], n // 21
            starts = at(WEDNESDAY, 0) + timedelta(minutes=30 * slot)
            db.session.add(
                Appointment(
                    patient_id=patient.id,
                    provider_id=provider.id,
                    location_id=place.id,
                    type_id=clinic.type.id,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=30),
                    blocks_until=starts + timedelta(minutes=30),
                    status=AppointmentStatus.CONFIRMED,
                    screening_snapshot={},
                )
            )
        db.session.commit()

    with count_queries() as queries:
        html = client.get(f"/staff/calendar?date=2026-01-14&location={place.id}").text

    assert html.count('class="cal-visit ') == how_many
    # The user, the locations, the audit row, then (the audit's commit forgets what was
    # loaded) the location, the hours, the visits, the time off, the patients' current
    # intakes, the consent version and their consents (the "Forms pending" flag), the types
    # of visit (where the shortest fits: the free cells' links) and the user for the menu.
    statements = [q for q in queries if q not in ("BEGIN", "BEGIN IMMEDIATE")]
    assert len(statements) == 12, statements
    # Many Visits has filled in nothing: each visit is flagged (and the menu has the list).
    assert html.count(">Forms pending<") == how_many + 1
