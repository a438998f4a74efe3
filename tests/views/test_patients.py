"""The front desk finds any patient, with or without visits, by what a caller says: a name,
a phone number however it is written, an email or a date of birth; and adds a caller who is
not a patient yet, with no email if they have none."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, OutboxMessage, User
from intake.permissions import Role
from tests.support.clock import CLINIC_ZONE, next_weekday_at
from tests.support.desk import signed_in


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


def listed_names(page: str) -> list[str]:
    return re.findall(r'href="/records/patients/\d+">([^<]+)</a>', page)


@pytest.fixture
def maria(make_user):
    """A patient who has never booked: known to the clinic by phone and birth date."""
    return make_user(
        first_name="Maria",
        last_name="Lopez",
        email="maria@example.org",
        phone="+19195550100",
        born_on=date(1980, 4, 2),
    )


@pytest.mark.parametrize(
    "typed",
    [
        "lop",
        "MARIA",
        "maria lopez",
        "Lopez, Maria",  # as the list shows the name
        "919-555-0100",
        "(919) 555 0100",
        "+19195550100",
        "555-0100",
        "maria@example",
        "1980-04-02",
        "04/02/1980",
    ],
)
def test_the_desk_finds_a_patient_without_appointments_by_what_the_caller_says(
    app, desk, maria, make_user, typed
):
    make_user(first_name="Oscar", last_name="Other", phone="+19195550111", born_on=date(1990, 1, 1))
    client = signed_in(app, desk)

    page = client.get("/staff/patients", query_string={"q": typed}).get_data(as_text=True)

    assert listed_names(page) == ["Lopez, Maria"]
    assert f'href="/records/patients/{maria.id}"' in page
    assert "(919) 555-0100" in page


def test_the_list_without_a_search_shows_every_patient_by_name_and_no_staff(
    app, desk, maria, make_user
):
    make_user(first_name="Adam", last_name="Abbott")
    client = signed_in(app, desk)

    page = client.get("/staff/patients").get_data(as_text=True)

    assert listed_names(page) == ["Abbott, Adam", "Lopez, Maria"]
    assert "Reyes" not in page


def test_nobody_matching_says_so_and_offers_a_new_patient(app, desk, maria):
    page = signed_in(app, desk).get("/staff/patients?q=Zed").get_data(as_text=True)

    assert "No patient matches" in page
    assert 'href="/staff/patients/new"' in page


def test_the_search_is_audited_with_the_count_never_the_text(app, desk, maria):
    signed_in(app, desk).get("/staff/patients", query_string={"q": "919-555-0100"})

    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "searched_patients")
        ).all()
    assert event.actor_id == desk.id
    assert event.detail == {"by": "phone", "found": 1}
    assert "555" not in str(event.detail)


@pytest.mark.parametrize("typed", ["'; DROP TABLE users; --", "%", "_", "99/99/9999", "+"])
def test_hostile_searches_answer_calmly(app, desk, maria, typed):
    answer = signed_in(app, desk).get("/staff/patients", query_string={"q": typed, "page": "-3"})

    assert answer.status_code == 200
    assert listed_names(answer.get_data(as_text=True)) == []


def test_an_overlong_search_is_said_and_not_applied(app, desk, maria):
    answer = signed_in(app, desk).get("/staff/patients", query_string={"q": "x" * 5000})

    assert answer.status_code == 200
    assert "The search was not understood" in answer.get_data(as_text=True)


def test_a_long_list_is_paged_and_keeps_the_search(app, desk, make_user):
    for n in range(30):
        make_user(first_name="Pat", last_name=f"Smith{n:02d}")
    client = signed_in(app, desk)

    first = client.get("/staff/patients?q=smith").get_data(as_text=True)
    second = client.get("/staff/patients?q=smith&page=2").get_data(as_text=True)

    assert len(listed_names(first)) == 25 and "Page 1 of 2" in first
    assert 'href="/staff/patients?page=2&amp;q=smith"' in first
    assert listed_names(second) == [f"Smith{n}, Pat" for n in range(25, 30)]


def test_the_list_reads_a_bounded_number_of_statements(app, desk, make_user, count_queries):
    client = signed_in(app, desk)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/staff/patients?q=pat").status_code == 200
        return len(statements)

    for _ in range(3):
        make_user(first_name="Pat")
    client.get("/staff/patients")  # warm up
    three = queries()
    for _ in range(57):
        make_user(first_name="Pat")
    sixty = queries()

    assert three == sixty
    assert sixty <= 8


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST])
def test_patients_and_therapists_cannot_search_patients(app, make_user, maria, role):
    visitor = maria if role is Role.PATIENT else make_user(role)
    client = signed_in(app, visitor)

    assert client.get("/staff/patients").status_code == 403
    assert client.get("/staff/patients/new").status_code == 403


# --- a new patient for a caller -----------------------------------------------------------


def new_patient(**more) -> dict:
    return {
        "first_name": "Carl",
        "last_name": "Caller",
        "born_on": "05/06/1971",
        "phone": "(919) 555 0142",
        "email": "",
        **more,
    }


def test_a_caller_with_no_email_becomes_a_patient_and_goes_on_to_booking(app, desk):
    client = signed_in(app, desk)
    assert "New patient" in client.get("/staff/patients/new").get_data(as_text=True)

    answer = client.post("/staff/patients/new", data=new_patient())

    assert answer.status_code == 302
    patient_id = int(re.search(r"/staff/patients/(\d+)/book", answer.headers["Location"])[1])
    with app.app_context():
        patient = db.session.get(User, patient_id)
        assert (patient.email, patient.password_hash, patient.role) == (None, "", Role.PATIENT)
        assert (patient.phone, patient.born_on) == ("+19195550142", date(1971, 5, 6))
        created = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "created_patient")
        ).one()
        assert (created.actor_id, created.patient_id) == (desk.id, patient_id)
    booking = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Carl Caller is now a patient." in booking
    assert "No email on file" in client.get(f"/records/patients/{patient_id}").get_data(
        as_text=True
    )


def test_a_new_patient_without_a_password_cannot_sign_in_nor_reset_one(app, desk):
    client = signed_in(app, desk)
    client.post("/staff/patients/new", data=new_patient(email="carl@example.org"))
    stranger = app.test_client()

    login = stranger.post("/account/login", data={"email": "carl@example.org", "password": ""})
    login2 = stranger.post("/account/login", data={"email": "carl@example.org", "password": "x"})
    stranger.post("/account/reset-password", data={"email": "carl@example.org"})

    assert login.status_code != 302 and login2.status_code != 302
    with app.app_context():
        assert (
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient == "carl@example.org")
            ).all()
            == []
        )


def test_mistakes_are_said_and_what_was_typed_is_kept(app, desk):
    client = signed_in(app, desk)

    answer = client.post(
        "/staff/patients/new",
        data=new_patient(first_name="", born_on="2999-01-01", phone="12", email="nope"),
    )

    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert "This is required." in text
    assert "The date of birth must be in the past." in text
    assert "Enter a phone number we can call" in text
    assert "Enter a valid email" in text
    assert 'value="Caller"' in text
    with app.app_context():
        assert db.session.scalars(select(User).where(User.last_name == "Caller")).all() == []


def test_an_email_already_in_use_links_to_that_patient_instead(app, desk, maria):
    client = signed_in(app, desk)

    answer = client.post("/staff/patients/new", data=new_patient(email="Maria@Example.org"))

    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "That email belongs to" in text
    assert f'href="/staff/patients/{maria.id}/book"' in text
    with app.app_context():
        assert db.session.scalars(select(User).where(User.last_name == "Caller")).all() == []


def test_the_same_name_and_birth_date_warns_and_a_tick_creates_anyway(app, desk, maria):
    client = signed_in(app, desk)
    same = new_patient(first_name="maria", last_name="LOPEZ", born_on="1980-04-02")

    warned = client.post("/staff/patients/new", data=same)
    assert warned.status_code == 409
    assert "A patient with this name and date of birth exists already" in warned.get_data(
        as_text=True
    )
    created = client.post("/staff/patients/new", data={**same, "same_person_checked": "y"})

    assert created.status_code == 302
    with app.app_context():
        assert (
            len(db.session.scalars(select(User).where(User.born_on == date(1980, 4, 2))).all()) == 2
        )


# --- picking the patient for a free calendar cell -------------------------------------------


def test_a_free_calendar_cell_leads_to_picking_the_patient_and_on_to_that_time(
    app, clinic, desk, ready_patient
):
    patient = ready_patient()
    client = signed_in(app, desk)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    day = start.astimezone(CLINIC_ZONE).date()

    calendar = client.get(
        "/staff/calendar", query_string={"date": day.isoformat(), "location": clinic.location.id}
    ).get_data(as_text=True)
    cell = (
        f"/staff/patients?provider={clinic.provider.id}&amp;location={clinic.location.id}"
        f"&amp;start={start:%Y-%m-%dT%H:%MZ}"
    )
    assert cell in calendar
    picking = client.get(cell.replace("&amp;", "&")).get_data(as_text=True)
    assert "New booking: pick the patient" in picking
    assert "Booking " in picking and "10:00" in picking
    book_link = re.search(rf'href="(/staff/patients/{patient.id}/book\?[^"]+)"', picking)[1]
    assert f'href="/staff/patients/new?provider={clinic.provider.id}' in picking

    booking = client.get(book_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "The time chosen on the calendar" in booking
    assert f'name="start" value="{start:%Y-%m-%dT%H:%MZ}"' in booking


def test_only_cells_where_a_visit_fits_link_to_booking(
    app, clinic, desk, make_user, make_appointment
):
    """A visit at 10:30: the 30-minute type with its 10-minute buffer cannot start at 10:00
    or 10:15 (it would run into it), so those free cells offer no booking; 9:45 can."""
    ten_thirty = next_weekday_at(datetime.now(UTC), 10, days_ahead=3, minute=30)
    make_appointment(make_user(), clinic.provider, clinic.location, clinic.type, ten_thirty)
    client = signed_in(app, desk)
    day = ten_thirty.astimezone(CLINIC_ZONE).date()

    calendar = client.get(
        "/staff/calendar", query_string={"date": day.isoformat(), "location": clinic.location.id}
    ).get_data(as_text=True)

    def offered(minutes_before: int) -> bool:
        start = ten_thirty - timedelta(minutes=minutes_before)
        return f"&amp;start={start:%Y-%m-%dT%H:%MZ}" in calendar

    assert offered(45)  # 9:45: ends 10:15, its buffer 10:25
    assert not offered(30) and not offered(15)


def test_therapists_see_no_booking_links_in_the_calendar(app, clinic):
    with app.app_context():
        therapist = db.session.get(User, clinic.provider.user_id)
    client = signed_in(app, therapist)
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    page = client.get(
        "/staff/calendar",
        query_string={"date": f"{start:%Y-%m-%d}", "location": clinic.location.id},
    ).get_data(as_text=True)

    assert "Ben Durham" in page
    assert "/staff/patients?provider=" not in page


def test_the_staff_navigation_has_patients_and_new_booking(app, desk):
    page = signed_in(app, desk).get("/staff/patients?new=booking").get_data(as_text=True)

    assert re.search(r'href="/staff/patients"\s*>Patients</a>', page)
    assert re.search(r'href="/staff/patients\?new=booking"\s*aria-current="page">New booking', page)
    assert "New booking: pick the patient" in page
