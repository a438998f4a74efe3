"""A patient picks a free time, gets through intake and consent, sends the request, cancels."""

import html
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from intake.extensions import db
from intake.models import Appointment, AppointmentEvent, AppointmentStatus, OutboxMessage, utcnow
from intake.permissions import Role
from tests.conftest import PASSWORD, is_postgres
from tests.support.answers import form_answers
from tests.support.clock import at, next_weekday, next_weekday_at
from tests.views.test_consent import signing

DURHAM = ZoneInfo("America/New_York")
CLINIC_PHONE = "(919) 555-0100"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def confirm_url(clinic, start: datetime) -> str:
    return (
        f"/book/{clinic.provider.slug}/confirm"
        f"?location={clinic.location.id}&type={clinic.type.id}&start={iso(start)}"
    )


def request_form(clinic, start, **overrides) -> dict:
    return {
        "location": str(clinic.location.id),
        "type": str(clinic.type.id),
        "start": iso(start) if isinstance(start, datetime) else start,
        "note": "",
        **overrides,
    }


def next_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["next"][0]


def written(app) -> tuple[int, int, int]:
    """How many appointments, events and emails the database holds."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Appointment, AppointmentEvent, OutboxMessage)
        )


def appointments(app) -> list[Appointment]:
    with app.app_context():
        found = list(db.session.scalars(select(Appointment).order_by(Appointment.id)))
        db.session.expunge_all()
    return found


def day_headings(page: str) -> list[tuple[date, str]]:
    """(date, heading text) for each day of free times on the page, in page order."""
    return [
        (date.fromisoformat(day), text)
        for day, text in re.findall(r'<h3 id="day-(\d{4}-\d\d-\d\d)">([^<]*)</h3>', page)
    ]


def day_section(page: str, day: date) -> str:
    match = re.search(
        rf'<section class="day" aria-labelledby="day-{day.isoformat()}">(.*?)</section>',
        page,
        re.DOTALL,
    )
    assert match, f"no free times shown for {day}"
    return match.group(1)


def confirm_links(page: str) -> list[str]:
    return [
        html.unescape(href) for href in re.findall(r'href="(/book/[^"]*/confirm\?[^"]*)"', page)
    ]


def start_of(link: str) -> datetime:
    return datetime.fromisoformat(parse_qs(urlsplit(link).query)["start"][0])


@pytest.fixture
def slot() -> datetime:
    return next_weekday_at(datetime.now(UTC), 10)


@pytest.fixture
def maria(ready_patient, login_as):
    patient = ready_patient()
    login_as(patient)
    return patient


# --- anyone can look at the free times -------------------------------------------------------


def test_anyone_can_see_the_providers_to_book_with(client, clinic):
    page = client.get("/book").get_data(as_text=True)
    assert "Ben Durham" in page
    assert 'href="/book/ben"' in page


def test_free_times_are_grouped_under_weekday_headings(client, clinic, slot):
    response = client.get("/book/ben")
    page = response.get_data(as_text=True)
    assert response.status_code == 200

    headings = day_headings(page)
    days = [day for day, _ in headings]
    assert days == sorted(days)
    assert all(day.weekday() < 5 for day in days)  # Ben works Monday to Friday
    for day, text in headings:
        assert text == f"{day:%A} {day:%B} {day.day}, {day.year}"

    local_day = slot.astimezone(DURHAM).date()
    assert local_day in days
    section = day_section(page, local_day)
    shown = re.findall(r"\b\d{1,2}:\d\d [AP]M\b", section)
    assert shown[0] == "9:00 AM"
    assert "10:00 AM" in shown
    assert shown[-1] == "11:30 AM"
    assert confirm_url(clinic, slot) in confirm_links(section)


def test_an_unknown_provider_is_not_found(client, clinic):
    assert client.get("/book/nobody").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("location=987654&type={type}", "Ben Durham does not see patients at that location."),
        ("location=abc&type={type}", "Ben Durham does not see patients at that location."),
        ("location={location}&type=987654", "Please choose one of the appointment types we offer."),
        ("location={location}&type=%27%20OR%201=1", "Please choose one of the appointment types"),
    ],
    ids=["unknown-location", "garbage-location", "unknown-type", "injected-type"],
)
def test_a_tampered_choice_shows_a_clear_message(client, clinic, query, message):
    url = "/book/ben?" + query.format(location=clinic.location.id, type=clinic.type.id)
    response = client.get(url)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert day_headings(response.get_data(as_text=True)) == []


def test_another_providers_location_is_refused_on_the_times_page(client, clinic, make_location):
    raleigh = make_location("27601", name="Raleigh")
    response = client.get(f"/book/ben?location={raleigh.id}&type={clinic.type.id}")
    assert response.status_code == 200
    assert "does not see patients at that location" in response.get_data(as_text=True)


@pytest.mark.parametrize("week", ["garbage", "2001-01-01", "9999-99-99"])
def test_a_tampered_or_past_week_shows_this_week(client, clinic, slot, week):
    response = client.get(f"/book/ben?week={week}")
    assert response.status_code == 200
    assert slot.astimezone(DURHAM).date() in [d for d, _ in day_headings(response.text)]


@pytest.mark.parametrize("week", ["9999-12-25", "9999-12-31"])
def test_a_week_at_the_end_of_the_calendar_is_a_page_not_a_crash(client, clinic, week):
    response = client.get(f"/book/ben?week={week}")
    assert response.status_code == 200
    assert "Book with Ben Durham" in response.text


def test_the_slot_page_runs_the_same_queries_with_5_or_60_visits_booked(
    client, clinic, make_user, make_appointment, count_queries
):
    """Ben's 9-12 mornings take four 30-minute visits (each held 40 minutes): 9:00, 9:40,
    10:20 and 11:00. The page shows the week of the first visits."""
    monday = next_weekday(datetime.now(UTC), days_ahead=7)
    monday -= timedelta(days=monday.weekday())
    visits = [
        at(monday + timedelta(weeks=week, days=day), 9) + timedelta(minutes=40 * turn)
        for turn, week in [(0, 0), (2, 0), (0, 1), (1, 1), (2, 1), (3, 1), (0, 2), (1, 2)]
        for day in range(5)
    ]  # 40: 10 in the week shown, 30 after it; 20 more are cancelled below
    patient = make_user()

    def book(starts: list[datetime], status=AppointmentStatus.CONFIRMED):
        for start in starts:
            make_appointment(
                patient, clinic.provider, clinic.location, clinic.type, start, status=status
            )

    def free_times_and_queries() -> tuple[int, int]:
        client.get(f"/book/ben?week={monday.isoformat()}")  # the public cache warm
        with count_queries() as statements:
            response = client.get(f"/book/ben?week={monday.isoformat()}")
        assert response.status_code == 200
        return len(confirm_links(response.text)), len(statements)

    book(visits[:5])
    free_with_5, queries_with_5 = free_times_and_queries()
    book(visits[5:])
    book(visits[:20], status=AppointmentStatus.CANCELLED)  # hold no time, still rows to skip
    free_with_60, queries_with_60 = free_times_and_queries()

    assert queries_with_60 == queries_with_5
    assert free_with_60 < free_with_5


def test_only_the_owner_can_see_an_appointments_own_time_as_free_to_move_to(
    client, clinic, ready_patient, login_as, make_appointment, slot
):
    owner = ready_patient()
    appointment = make_appointment(owner, clinic.provider, clinic.location, clinic.type, slot)
    times = f"/book/ben?location={clinic.location.id}&type={clinic.type.id}"
    assert iso(slot) not in client.get(times).text

    # A stranger guessing ids must not learn when someone else's appointment is.
    assert iso(slot) not in client.get(f"{times}&move={appointment.id}").text
    login_as(ready_patient())
    assert iso(slot) not in client.get(f"{times}&move={appointment.id}").text

    client.post("/account/logout")
    login_as(owner)
    moving = client.get(f"{times}&move={appointment.id}").text
    assert f'<input type="hidden" name="start" value="{iso(slot)}">' in moving
    assert f'action="/account/appointments/{appointment.id}/move"' in moving


def test_the_move_page_keeps_the_visits_own_kind_whatever_the_link_says(
    client, clinic, ready_patient, login_as, make_appointment, make_type, slot
):
    """A move keeps the kind of visit. Were the page to offer another kind, its times would
    be that kind's: 11:30 fits a 30-minute visit before Ben's noon, not an hour-long one, and
    the move would be refused as "just taken"."""
    hour_long = make_type(name="Initial evaluation + dry needling", duration_minutes=60)
    maria = ready_patient()
    visit = make_appointment(maria, clinic.provider, clinic.location, hour_long, slot)
    login_as(maria)

    page = client.get(
        f"/book/ben?location={clinic.location.id}&type={clinic.type.id}"
        f"&move={visit.id}&revision={visit.revision}&week={slot.date().isoformat()}"
    ).text

    assert "Initial evaluation + dry needling (60 minutes)" in page
    assert "Dry needling follow-up (30 minutes)" not in page
    assert f'value="{iso(slot)}"' in page  # her own time, free to her
    half_past_eleven = iso(slot + timedelta(minutes=90))
    assert f'name="start" value="{half_past_eleven}"' not in page


# --- on the way to the confirm page ----------------------------------------------------------


def test_choosing_a_time_signed_out_asks_to_sign_in_then_comes_back_to_it(
    client, clinic, ready_patient, slot
):
    patient = ready_patient()
    wanted = confirm_url(clinic, slot)

    to_login = client.get(wanted)
    assert to_login.status_code == 302
    assert urlsplit(to_login.headers["Location"]).path == "/account/login"
    assert next_of(to_login.headers["Location"]) == wanted

    signed_in = client.post(
        to_login.headers["Location"], data={"email": patient.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == wanted

    page = client.get(wanted)
    assert page.status_code == 200
    assert "Send your request" in page.text
    assert f'value="{iso(slot)}"' in page.text


def test_a_patient_without_intake_or_consent_is_led_through_both_and_back(
    app, client, clinic, make_user, login_as, consent_v1, slot
):
    login_as(make_user(first_name="Maria", last_name="Lopez"))
    wanted = confirm_url(clinic, slot)

    to_intake = client.get(wanted)
    assert to_intake.status_code == 302
    assert urlsplit(to_intake.headers["Location"]).path == "/intake"
    assert next_of(to_intake.headers["Location"]) == wanted

    saved = client.post(to_intake.headers["Location"], data=form_answers())
    assert saved.status_code == 302
    assert urlsplit(saved.headers["Location"]).path == "/intake/outcome"
    outcome = client.get(saved.headers["Location"]).text
    consent_links = [
        html.unescape(href) for href in re.findall(r'href="(/consent\?[^"]*)"', outcome)
    ]
    assert [next_of(link) for link in consent_links] == [wanted]

    to_consent = client.get(wanted)
    assert to_consent.status_code == 302
    assert urlsplit(to_consent.headers["Location"]).path == "/consent"
    assert next_of(to_consent.headers["Location"]) == wanted

    signed = client.post(to_consent.headers["Location"], data=signing(consent_v1))
    assert signed.status_code == 302
    assert signed.headers["Location"] == wanted
    assert "Send your request" in client.get(wanted).text
    assert written(app) == (0, 0, 0)


def test_a_patient_afraid_of_needles_is_asked_to_call(
    app, client, clinic, ready_patient, login_as, slot
):
    login_as(ready_patient(needle_phobia="yes"))
    for response in (
        client.get(confirm_url(clinic, slot)),
        client.post("/book/ben/confirm", data=request_form(clinic, slot)),
    ):
        assert response.status_code == 403
        assert "Please call us before booking dry needling" in response.text
        assert CLINIC_PHONE in response.text
        assert 'href="tel:+19195550100"' in response.text
        # Said once: the heading, then why, not the same request three times over.
        assert response.text.count("From your answers") == 1
    assert written(app) == (0, 0, 0)


# --- sending the request ---------------------------------------------------------------------


def test_a_ready_patient_sends_the_request_and_sees_it(app, client, clinic, maria, slot):
    response = client.post(
        "/book/ben/confirm", data=request_form(clinic, slot, note="Mornings suit me.")
    )

    (stored,) = appointments(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/account/appointments/{stored.id}?requested=1"
    assert (stored.patient_id, stored.starts_at) == (maria.id, slot)
    assert stored.status == AppointmentStatus.REQUESTED
    assert stored.patient_note == "Mornings suit me."
    assert written(app) == (1, 1, 3)

    shown = client.get(response.headers["Location"]).text
    assert "<title>Request sent · " in shown  # the tab says what just happened
    assert "Request sent" in shown
    assert "Mornings suit me." in shown
    assert "Requested: waiting for confirmation" in shown

    listed = client.get("/account/appointments").text
    assert f'href="/account/appointments/{stored.id}"' in listed
    assert "Nothing booked yet." not in listed


def statements_to_book(client, clinic, start, count_queries) -> int:
    with count_queries() as statements:
        response = client.post("/book/ben/confirm", data=request_form(clinic, start))
    assert response.status_code == 302
    return len(statements)


# The request is checked against the directory's snapshot of providers, places and types,
# which any change to them renews at once (tests/views/test_public_cache.py).


def test_a_therapist_deactivated_after_the_page_was_shown_cannot_be_booked(
    app, client, clinic, maria, slot, make_user
):
    assert client.get(confirm_url(clinic, slot)).status_code == 200
    admin = make_user(Role.ADMIN)
    admin_browser = app.test_client()
    admin_browser.post("/account/login", data={"email": admin.email, "password": PASSWORD})
    response = admin_browser.post(f"/admin/users/{clinic.provider.user_id}/deactivate")
    assert response.status_code == 302
    before = written(app)
    assert client.post("/book/ben/confirm", data=request_form(clinic, slot)).status_code == 404
    assert written(app) == before


def test_a_type_withdrawn_after_the_page_was_shown_cannot_be_booked(
    app, client, clinic, maria, slot
):
    assert client.get(confirm_url(clinic, slot)).status_code == 200
    with app.app_context():
        db.session.get(type(clinic.type), clinic.type.id).active = False
        db.session.commit()
    before = written(app)
    response = client.post("/book/ben/confirm", data=request_form(clinic, slot))
    assert response.status_code == 400
    assert "Please choose one of the appointment types we offer." in response.text
    assert written(app) == before


def test_the_therapist_is_emailed_at_the_address_their_account_has_now(
    app, client, clinic, maria, slot
):
    assert client.get(confirm_url(clinic, slot)).status_code == 200
    with app.app_context():
        account = db.session.get(type(maria), clinic.provider.user_id)
        account.email = "ben.new@example.org"
        db.session.commit()
    assert client.post("/book/ben/confirm", data=request_form(clinic, slot)).status_code == 302
    with app.app_context():
        staff = db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.kind == "staff_requested")
        ).all()
    assert "ben.new@example.org" in staff


def test_sending_a_request_takes_the_same_few_statements_however_full_the_diary(
    app, client, clinic, maria, slot, count_queries, make_appointment, ready_patient
):
    """Read once, checked once, written once: no statement repeats per visit already booked."""
    assert client.get("/book/ben").status_code == 200  # the directory as the patient saw it
    first = statements_to_book(client, clinic, slot, count_queries)
    other = ready_patient()
    day = slot.astimezone(DURHAM).date()
    for hour in (8, 13, 14, 15, 16):  # the rest of that day fills up
        make_appointment(other, clinic.provider, clinic.location, clinic.type, at(day, hour))
    second = statements_to_book(client, clinic, slot + timedelta(hours=1), count_queries)
    # Three reads (user, intake, consents with the current version's id: the provider, place
    # and type come from the directory's snapshot), the lock (SQLite: BEGIN IMMEDIATE;
    # PostgreSQL: the provider's row), two for the free-time check (hours; bookings with time
    # off), three inserts. SQLite also says BEGIN for the reads; PostgreSQL's driver begins
    # unseen.
    with app.app_context():
        postgres = is_postgres(str(db.engine.url))
    assert first == second <= (9 if postgres else 10)


# Under the lock: the free-time check (hours, bookings, time off), then the three writes.
RE_CHECK_AND_WRITES = [
    ("SELECT", "working_hours"),
    ("SELECT", "appointments"),  # with the time off, in one statement
    ("INSERT", "appointments"),
    ("INSERT", "appointment_events"),
    ("INSERT", "outbox_messages"),
]


@contextmanager
def transaction_log(app):
    """`with transaction_log(app) as log:` fills log with what the engine runs: ("SELECT",
    first table), ("INSERT", table), ("LOCK", "") for BEGIN IMMEDIATE or FOR UPDATE,
    ("BEGIN", "") for a deferred BEGIN, ("COMMIT", "") and ("ROLLBACK", "")."""
    with app.app_context():
        engine = db.engine
    log: list[tuple[str, str]] = []

    def statement(conn, cursor, sql, *args):
        if sql.startswith("BEGIN IMMEDIATE") or "FOR UPDATE" in sql:
            log.append(("LOCK", ""))
        elif sql.startswith("BEGIN"):
            log.append(("BEGIN", ""))
        elif inserted := re.match(r"INSERT INTO (\w+)", sql):
            log.append(("INSERT", inserted.group(1)))
        else:
            while (outer := re.sub(r"\([^()]*\)", "", sql)) != sql:  # no subquery's FROM
                sql = outer
            table = re.search(r"\bFROM (\w+)", sql)
            log.append((sql.split()[0].upper(), table.group(1) if table else ""))

    listeners = {
        "before_cursor_execute": statement,
        "commit": lambda conn: log.append(("COMMIT", "")),
        "rollback": lambda conn: log.append(("ROLLBACK", "")),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield log
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


def test_a_request_holds_the_lock_only_to_check_the_time_again_and_write(
    app, client, clinic, maria, slot
):
    """Who the patient is, the provider, place, type and readiness are read before the write
    lock, in a transaction that locks nothing, and not read again under it or after it."""
    with transaction_log(app) as log:
        response = client.post("/book/ben/confirm", data=request_form(clinic, slot))
    assert response.status_code == 302

    locked = log.index(("LOCK", ""))
    reads, under_lock = log[:locked], log[locked + 1 :]
    assert log.count(("LOCK", "")) == 1
    assert {kind for kind, _ in reads} <= {"BEGIN", "SELECT", "COMMIT"}
    assert ("SELECT", "intakes") in reads and ("SELECT", "signed_consents") in reads
    assert reads[-1] == ("COMMIT", "")  # ended without forgetting what it read
    assert under_lock == [*RE_CHECK_AND_WRITES, ("COMMIT", "")]  # and nothing read after
    (stored,) = appointments(app)
    assert response.headers["Location"] == f"/account/appointments/{stored.id}?requested=1"


def test_a_patient_who_is_not_ready_is_sent_to_the_step_without_any_lock(
    app, client, clinic, make_user, make_intake, login_as, consent_v1, slot
):
    patient = make_user()
    make_intake(patient)  # no consent signed yet
    login_as(patient)
    with transaction_log(app) as log:
        response = client.post("/book/ben/confirm", data=request_form(clinic, slot))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/consent"
    assert ("LOCK", "") not in log
    assert {kind for kind, _ in log} <= {"BEGIN", "SELECT", "COMMIT", "ROLLBACK"}
    assert written(app) == (0, 0, 0)


def test_the_page_without_the_requested_flag_does_not_claim_it_was_just_sent(
    app, client, clinic, maria, slot
):
    client.post("/book/ben/confirm", data=request_form(clinic, slot))
    (stored,) = appointments(app)
    page = client.get(f"/account/appointments/{stored.id}").text
    assert "Request sent" not in page
    assert "<title>Your appointment · " in page


def test_another_patients_appointment_is_not_found(
    app, client, clinic, maria, ready_patient, login_as, slot
):
    client.post("/book/ben/confirm", data=request_form(clinic, slot))
    (stored,) = appointments(app)
    client.post("/account/logout")
    login_as(ready_patient())
    assert client.get(f"/account/appointments/{stored.id}").status_code == 404
    assert (
        client.post(
            f"/account/appointments/{stored.id}/cancel", data={"reason": "Not mine"}
        ).status_code
        == 404
    )
    assert f"/account/appointments/{stored.id}" not in client.get("/account/appointments").text
    assert appointments(app)[0].status == AppointmentStatus.REQUESTED


def test_staff_have_no_patient_appointment_pages(client, make_user, login_as):
    login_as(make_user(Role.FRONT_DESK))
    assert client.get("/account/appointments").status_code == 403


def test_a_time_taken_a_moment_before_offers_the_next_free_ones(
    app, client, clinic, maria, make_user, make_appointment, slot
):
    other = make_user(first_name="Sam")
    make_appointment(other, clinic.provider, clinic.location, clinic.type, slot)
    before = written(app)

    response = client.post("/book/ben/confirm", data=request_form(clinic, slot))

    assert response.status_code == 409
    assert "That time was just taken" in response.text
    offered = [start_of(link) for link in confirm_links(response.text)]
    assert offered, "the page should link to other free times"
    assert all(start > slot for start in offered)
    assert all(start >= slot + timedelta(minutes=40) for start in offered)  # past its buffer
    assert written(app) == before


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("garbage", "Please choose one of the times shown."),
        ("2026-13-45T99:00Z", "Please choose one of the times shown."),
        ("", "Please choose one of the times shown."),
        ("past", "That time is not available to book online."),
        ("saturday", "That time is not available to book online."),
    ],
    ids=["garbage", "impossible-date", "missing", "past", "saturday"],
)
def test_a_bad_time_is_refused_with_a_message_and_nothing_is_stored(
    app, client, clinic, maria, start, message
):
    now = datetime.now(UTC)
    if start == "past":
        start = next_weekday_at(now, 10, days_ahead=-7)
    elif start == "saturday":
        start = next_weekday_at(now, 10)
        start += timedelta(days=5 - start.astimezone(DURHAM).weekday())
    response = client.post("/book/ben/confirm", data=request_form(clinic, start))
    assert response.status_code == 400
    assert message in response.text
    assert written(app) == (0, 0, 0)


def test_another_providers_location_is_refused_on_confirm(
    app, client, clinic, maria, make_location, make_provider, slot
):
    raleigh = make_location("27601", name="Raleigh")
    make_provider("Anna Raleigh", [raleigh], slug="anna")
    response = client.post(
        "/book/ben/confirm", data=request_form(clinic, slot, location=str(raleigh.id))
    )
    assert response.status_code == 400
    assert "Ben Durham does not see patients at that location." in response.text
    assert written(app) == (0, 0, 0)


# --- cancelling ------------------------------------------------------------------------------


@pytest.fixture
def booked(app, client, clinic, maria, slot) -> Appointment:
    client.post("/book/ben/confirm", data=request_form(clinic, slot))
    (stored,) = appointments(app)
    return stored


def revision_on(page: str) -> str:
    """The revision a page carries in its hidden field (every copy of it agrees)."""
    found = set(re.findall(r'name="revision"[^>]*value="(\d*)"', page))
    assert len(found) == 1, found
    return found.pop()


def test_a_patient_cancels_from_the_page_with_a_reason(app, client, booked, maria):
    page = client.get(f"/account/appointments/{booked.id}").text
    assert f'action="/account/appointments/{booked.id}/cancel"' in page
    assert revision_on(page) == str(booked.revision)

    response = client.post(
        f"/account/appointments/{booked.id}/cancel",
        data={"reason": "My calf is better.", "revision": revision_on(page)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/account/appointments/{booked.id}"

    shown = client.get(response.headers["Location"]).text
    assert "Your appointment is cancelled." in shown
    assert f'action="/account/appointments/{booked.id}/cancel"' not in shown
    (stored,) = appointments(app)
    assert stored.status == AppointmentStatus.CANCELLED
    with app.app_context():
        event = db.session.scalars(
            select(AppointmentEvent).order_by(AppointmentEvent.id.desc())
        ).first()
        assert (event.action, event.detail) == ("cancelled", "My calf is better.")
        cancels = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.ics_method == "CANCEL")
        ).all()
        assert sorted(m.recipient for m in cancels) == sorted(
            [maria.email, "ben@example.org", app.config["INTAKE_FRONT_DESK_EMAIL"]]
        )


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_cancelling_without_a_reason_asks_for_one(app, client, booked, reason):
    before = written(app)
    response = client.post(
        f"/account/appointments/{booked.id}/cancel",
        data={"reason": reason, "revision": booked.revision},
    )
    assert response.status_code == 400
    assert "Please tell us why." in response.text
    assert appointments(app)[0].status == AppointmentStatus.REQUESTED
    assert written(app) == before


def test_inside_the_cut_off_the_page_gives_the_phone_instead_of_the_form(
    app, client, clinic, maria, make_appointment
):
    soon = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    appointment = make_appointment(maria, clinic.provider, clinic.location, clinic.type, soon)

    page = client.get(f"/account/appointments/{appointment.id}").text
    assert "please call us at" in page
    assert CLINIC_PHONE in page
    assert f'action="/account/appointments/{appointment.id}/cancel"' not in page

    response = client.post(
        f"/account/appointments/{appointment.id}/cancel",
        data={"reason": "Too busy", "revision": appointment.revision},
    )
    assert response.status_code == 302
    assert "too close to your appointment" in client.get(response.headers["Location"]).text
    assert appointments(app)[0].status == AppointmentStatus.REQUESTED


# --- the clinic changed it meanwhile --------------------------------------------------------


def clinic_confirms(app, appointment_id):
    """The front desk confirms while the patient's page is open (an ORM change: revision + 1)."""
    with app.app_context():
        db.session.get(Appointment, appointment_id).status = AppointmentStatus.CONFIRMED
        db.session.commit()


def test_a_cancel_from_a_page_older_than_the_clinics_change_is_refused_and_shows_it_now(
    app, client, booked
):
    page = client.get(f"/account/appointments/{booked.id}").text
    clinic_confirms(app, booked.id)
    before = written(app)

    response = client.post(
        f"/account/appointments/{booked.id}/cancel",
        data={"reason": "Feeling better", "revision": revision_on(page)},
    )

    assert response.status_code == 409
    assert "This appointment changed meanwhile; here it is as it stands now." in response.text
    assert "Confirmed" in response.text
    assert revision_on(response.text) == str(booked.revision + 1)  # a fresh page to act on
    assert appointments(app)[0].status == AppointmentStatus.CONFIRMED
    assert written(app) == before


@pytest.mark.parametrize("revision", [None, "", "abc", "99999999999"])
def test_a_cancel_without_a_believable_revision_changes_nothing(app, client, booked, revision):
    form = {"reason": "Feeling better"} | ({} if revision is None else {"revision": revision})
    response = client.post(f"/account/appointments/{booked.id}/cancel", data=form)
    assert response.status_code == 409
    assert "changed meanwhile" in response.text
    assert appointments(app)[0].status == AppointmentStatus.REQUESTED


def test_moving_carries_the_pages_revision_to_the_new_time(app, client, booked, clinic):
    page = client.get(f"/account/appointments/{booked.id}").text
    link = html.unescape(re.search(r'href="(/book/ben\?[^"]*move=[^"]*)"', page).group(1))
    assert parse_qs(urlsplit(link).query)["revision"] == [str(booked.revision)]
    times = client.get(link).text
    assert revision_on(times) == str(booked.revision)
    later = next_weekday_at(datetime.now(UTC), 11, days_ahead=3)

    response = client.post(
        f"/account/appointments/{booked.id}/move",
        data={"start": iso(later), "revision": revision_on(times)},
    )

    assert response.status_code == 302
    (stored,) = appointments(app)
    assert (stored.starts_at, stored.revision) == (later, booked.revision + 1)


def test_a_move_from_a_page_older_than_the_clinics_change_is_refused(app, client, booked):
    times_seen = str(booked.revision)
    clinic_confirms(app, booked.id)

    response = client.post(
        f"/account/appointments/{booked.id}/move",
        data={
            "start": iso(next_weekday_at(datetime.now(UTC), 11, days_ahead=3)),
            "revision": times_seen,
        },
    )

    assert response.status_code == 409
    assert "changed meanwhile" in response.text
    (stored,) = appointments(app)
    assert (stored.starts_at, stored.status) == (booked.starts_at, AppointmentStatus.CONFIRMED)
