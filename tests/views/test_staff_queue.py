"""The front desk works the queue: urgent first, then oldest; filters, search and pages; a
fixed number of queries whatever the page holds; and a CSV export without health answers."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from intake.domain.patients import age_on
from intake.extensions import db
from intake.models import AppointmentStatus, AuditEvent, SignedConsent
from intake.permissions import Role
from intake.services.export import export_rows
from intake.services.queue import QueueFilters, page_of_ids
from tests.conftest import persist
from tests.support.clock import at, days_after

DURHAM = ZoneInfo("America/New_York")


def ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


@pytest.fixture
def desk(make_user, login_as):
    user = make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")
    login_as(user)
    return user


@pytest.fixture
def patient_named(make_user, make_intake):
    """A patient with an account name, a questionnaire and (by default) no consent."""

    def build(first: str, last: str, phone: str = "+19195550142", **answers):
        patient = make_user(
            first_name=first, last_name=last, email=f"{first.lower()}.{last.lower()}@example.com"
        )
        make_intake(
            patient,
            legal_first_name=answers.pop("legal_first_name", first),
            legal_last_name=answers.pop("legal_last_name", last),
            phone=phone,
            **answers,
        )
        return patient

    return build


@pytest.fixture
def ask(clinic, make_appointment):
    """A request from `patient`, `days` ahead, created `minutes_ago` (or at `created_at`); an
    hour apart per call."""
    counter = iter(range(10_000))

    def build(patient, days: int = 5, minutes_ago: int = 60, **fields):
        # 10:00 in Durham, weekends included: the queue does not check working hours.
        starts = at(days_after(datetime.now(UTC), days), 10) + timedelta(hours=next(counter))
        return make_appointment(
            patient,
            fields.pop("provider", clinic.provider),
            fields.pop("location", clinic.location),
            clinic.type,
            starts,
            created_at=fields.pop("created_at", None) or ago(minutes_ago),
            **fields,
        )

    return build


def listed(client, query: str = "") -> list[str]:
    """The patient names in the queue's rows, in order."""
    response = client.get(f"/staff/requests{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return re.findall(r'<a href="/staff/requests/\d+">([^<]+)</a>', page)


# --- access ---------------------------------------------------------------------------


def test_only_the_front_desk_and_admins_see_the_queue(client, make_user, login_as):
    assert client.get("/staff/requests").headers["Location"].startswith("/account/login")
    for role in (Role.PATIENT, Role.THERAPIST):
        login_as(make_user(role))
        assert client.get("/staff/requests").status_code == 403
        assert (
            client.get("/staff/appointments.csv?from=2026-01-01&to=2026-01-31").status_code == 403
        )
        client.post("/account/logout")
    login_as(make_user(Role.ADMIN))
    assert client.get("/staff/requests").status_code == 200


# --- order, flags and columns ---------------------------------------------------------


def test_urgent_requests_come_first_then_the_oldest(client, desk, patient_named, ask):
    ask(patient_named("Newer", "Plain"), minutes_ago=10)
    ask(patient_named("Older", "Plain"), minutes_ago=300)
    ask(patient_named("Newest", "Urgent"), minutes_ago=5, urgent=True)
    ask(patient_named("Oldest", "Urgent"), minutes_ago=500, urgent=True)

    assert listed(client) == ["Oldest Urgent", "Newest Urgent", "Older Plain", "Newer Plain"]


def test_each_row_says_its_flags_in_words_with_age_consent_and_times(
    app, client, desk, patient_named, ask, consent_v1
):
    patient = patient_named("Ruth", "Flagged", born_on="1950-01-02")
    snapshot = {
        "findings": [{"key": "needle_phobia", "level": "absolute", "reason": "r", "detail": ""}]
    }
    ask(patient, urgent=True, needs_review=True, screening_snapshot=snapshot)
    persist(
        app,
        SignedConsent(
            patient_id=patient.id,
            version_id=consent_v1.id,
            text_sha256=consent_v1.text_sha256,
            typed_name="Ruth Flagged",
            acknowledged=["nature"],
            ip_address="127.0.0.1",
            user_agent="tests",
            signed_at=datetime.now(UTC) - timedelta(days=400),
        ),
    )
    page = client.get("/staff/requests").get_data(as_text=True)
    assert '<span class="badge badge-danger">Urgent</span>' in page
    assert '<span class="badge badge-danger">Absolute</span>' in page
    assert '<span class="badge badge-warn">Review needed</span>' in page
    assert 'class="urgent"' in page
    assert "Expired (v1)" in page
    age = age_on(date(1950, 1, 2), datetime.now(DURHAM).date())
    assert f'<td data-label="Age">{age}</td>' in page
    assert "Dry needling follow-up" in page and "Ben Durham" in page and "Durham Central" in page
    assert re.search(r"at 10:00 AM E[SD]T", page)


def test_a_patient_who_never_signed_shows_missing_consent(client, desk, patient_named, ask):
    ask(patient_named("No", "Consent"))
    assert '<span class="badge badge-danger">Missing</span>' in client.get(
        "/staff/requests"
    ).get_data(as_text=True)


def test_a_current_consent_shows_its_version_and_links_to_the_copy(
    client, desk, ready_patient, ask
):
    ask(ready_patient())
    page = client.get("/staff/requests").get_data(as_text=True)
    assert re.search(r'<a href="/consent/\d+"><span class="badge badge-ok">Signed v1</span>', page)


# --- filters --------------------------------------------------------------------------


def test_status_defaults_to_requested_and_can_show_all(client, desk, patient_named, ask):
    ask(patient_named("Waiting", "One"))
    ask(patient_named("Already", "Confirmed"), status=AppointmentStatus.CONFIRMED)
    assert listed(client) == ["Waiting One"]
    assert listed(client, "?status=confirmed") == ["Already Confirmed"]
    assert sorted(listed(client, "?status=all")) == ["Already Confirmed", "Waiting One"]


def test_filter_by_provider_and_location(
    client, desk, clinic, patient_named, ask, make_location, make_provider
):
    raleigh = make_location("27601", name="Raleigh North")
    other = make_provider("Cara Chapel", [raleigh], slug="cara")
    ask(patient_named("With", "Ben"))
    ask(patient_named("With", "Cara"), provider=other, location=raleigh)
    assert listed(client, f"?provider={other.id}") == ["With Cara"]
    assert listed(client, f"?location={clinic.location.id}") == ["With Ben"]
    assert listed(client, f"?provider={other.id}&location={clinic.location.id}") == []


def test_filter_by_the_local_day_the_visit_starts(client, desk, patient_named, ask):
    ask(patient_named("Soon", "Visit"), days=2)
    ask(patient_named("Later", "Visit"), days=20)
    soon = datetime.now(DURHAM).date() + timedelta(days=2)
    assert listed(client, f"?from={soon}&to={soon}") == ["Soon Visit"]
    assert listed(client, f"?from={soon + timedelta(days=3)}") == ["Later Visit"]
    assert listed(client, f"?to={soon + timedelta(days=3)}") == ["Soon Visit"]


def test_filter_requests_waiting_for_a_therapist_review(client, desk, patient_named, ask):
    ask(patient_named("Needs", "Review"), needs_review=True)
    ask(patient_named("Already", "Cleared"), needs_review=True, review_outcome="cleared")
    ask(patient_named("No", "Precautions"))
    assert listed(client, "?needs_review=y") == ["Needs Review"]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("ximena", ["Ximena Quill"]),  # account first name, any case
        ("QUILL", ["Ximena Quill"]),
        ("ximena quill", ["Ximena Quill"]),
        ("Quill, Ximena", ["Ximena Quill"]),  # last name first, as lists show it
        ("Legalname", ["Ximena Quill"]),  # the legal name from the questionnaire
        ("ximena.quill@example", ["Ximena Quill"]),  # email
        ("(919) 555-7788", ["Ximena Quill"]),  # phone as typed, matched on digits
        ("555-7788", ["Ximena Quill"]),
        ("+1 919 555 7788", ["Ximena Quill"]),
        ("Other", ["Other Person"]),
        ("nobody", []),
        ("100%", []),  # LIKE wildcards are taken literally
        ("_", []),
    ],
)
def test_search_by_name_phone_or_email(client, desk, patient_named, ask, q, found):
    ask(patient_named("Ximena", "Quill", phone="+19195557788", legal_last_name="Legalname"))
    ask(patient_named("Other", "Person", phone="+19195550000"))
    assert listed(client, "?" + urlencode({"q": q})) == found


def test_a_search_of_the_queue_goes_on_record_as_a_patient_search_does(
    app, client, desk, patient_named, ask
):
    ask(patient_named("Ximena", "Quill", phone="+19195557788"))

    client.get("/staff/requests")  # the plain queue, as the desk opens it all day
    assert listed(client, "?q=555-7788&status=all") == ["Ximena Quill"]

    with app.app_context():
        searches = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "searched_patients")
        ).all()
        assert [(a.actor_id, a.object_type, a.detail) for a in searches] == [
            (desk.id, "appointments", {"in": "requests", "found": 1})
        ]


@pytest.mark.parametrize(
    "query",
    [
        "?provider=987654",
        "?location=abc",
        "?status=bogus",
        "?from=2026-13-45",
        "?from=2026-05-10&to=2026-05-01",
        "?from=0001-01-01&to=9999-12-31",
        "?q=" + "x" * 5000,
        "?page=-3",
        "?page=abc",
        "?page=99999999999999999999",
    ],
)
def test_tampered_filters_are_explained_and_ignored(client, desk, patient_named, ask, query):
    ask(patient_named("Still", "Listed"))
    response = client.get(f"/staff/requests{query}")
    assert response.status_code == 200
    assert listed(client, query) == ["Still Listed"]
    if "page" not in query:
        assert "Some filters were not understood" in response.get_data(as_text=True)


# --- pages and speed ------------------------------------------------------------------


def test_fifty_a_page_with_a_count_and_links(client, desk, patient_named, ask):
    patient = patient_named("Many", "Requests")
    for n in range(55):
        ask(patient, minutes_ago=1000 - n)
    first = client.get("/staff/requests").get_data(as_text=True)
    assert "Showing 1 to 50 of 55 requests" in first
    assert len(listed(client)) == 50
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/staff/requests?page=2").get_data(as_text=True)
    assert "Showing 51 to 55 of 55 requests" in second
    assert len(listed(client, "?page=2")) == 5
    assert listed(client, "?page=99") == listed(client, "?page=2")  # past the end: the last


def test_a_page_of_requests_counts_the_open_urgent_callbacks_with_it(
    client, desk, patient_named, ask, make_user, make_intake
):
    ask(patient_named("Plain", "Request"), minutes_ago=30)
    make_intake(make_user(first_name="Rosa", last_name="Flag"), night_pain="yes")
    page = client.get("/staff/requests").get_data(as_text=True)
    assert "Showing 1 to 1 of 1 request" in page
    assert "1 urgent callback" in page


def test_pages_keep_the_filters(client, desk, patient_named, ask):
    patient = patient_named("Many", "Requests")
    for _ in range(51):
        ask(patient)
    page = client.get("/staff/requests?q=many&status=requested").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" rel="next"', page).group(1)
    assert "q=many" in link and "status=requested" in link and "page=2" in link


def test_the_queue_runs_the_same_number_of_queries_for_5_or_60_requests(
    client, desk, ready_patient, ask, count_queries
):
    def queries_for_page() -> int:
        with count_queries() as statements:
            response = client.get("/staff/requests")
        assert response.status_code == 200
        return len(statements)

    patients = [ready_patient() for _ in range(60)]
    for patient in patients[:5]:
        ask(patient, needs_review=True)
    client.get("/staff/requests")  # warm up
    five = queries_for_page()
    assert len(listed(client)) == 5
    for patient in patients[5:]:
        ask(patient, urgent=True)
    sixty = queries_for_page()
    assert len(listed(client)) == 50  # a full page, and a second one behind it
    assert five == sixty
    # BEGIN (SQLite only), user, ids with the counts, rows, consents; the providers of the
    # filter come from the directory cache
    assert sixty <= 5, sixty


def test_the_order_holds_across_pages_and_same_moment_requests_keep_their_arrival(
    client, desk, patient_named, ask
):
    patient = patient_named("Plain", "Request")
    for _ in range(49):
        ask(patient, minutes_ago=30)
    same_moment = ago(600)
    ask(patient_named("First", "Twin"), created_at=same_moment)
    ask(patient_named("Second", "Twin"), created_at=same_moment)
    ask(patient_named("Late", "Urgent"), minutes_ago=1, urgent=True)

    page_one, page_two = listed(client), listed(client, "?page=2")
    assert page_one[:3] == ["Late Urgent", "First Twin", "Second Twin"]
    assert len(page_one) == 50 and page_two == ["Plain Request"] * 2


@pytest.mark.parametrize("status", ["requested", None])
def test_a_page_of_the_queue_is_read_off_its_index_in_order_not_sorted(app, status):
    with app.app_context():
        statement = page_of_ids(QueueFilters(status=status), "America/New_York", page=3)
        sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        if db.engine.dialect.name == "sqlite":
            rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = " | ".join(row[-1] for row in rows)
            assert "COVERING INDEX ix_appointments_queue" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            return
        # PostgreSQL plans an empty table by its size: with scans and sorts priced out, a plan
        # without a Sort node shows the index can give the queue's order by itself.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_sort = off"))
        plan = " | ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        db.session.rollback()
    assert "ix_appointments_queue" in plan, plan
    assert "Sort" not in plan, plan


# --- CSV export -----------------------------------------------------------------------


def export(client, first, last):
    return client.get(f"/staff/appointments.csv?from={first}&to={last}")


def test_the_csv_holds_visit_facts_and_no_health_answers(app, client, desk, patient_named, ask):
    patient = patient_named(
        "Carla",
        "Csv",
        anticoagulants="yes",
        anticoagulants_detail="Warfarin",
        reason="Secret calf pain",
    )
    appointment = ask(patient, days=3, patient_note="Please call")
    today = datetime.now(DURHAM).date()

    response = export(client, today, today + timedelta(days=30))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "id",
        "starts",
        "ends",
        "status",
        "provider",
        "location",
        "type",
        "patient name",
        "patient email",
        "phone",
        "created",
    ]
    [row] = rows[1:]
    assert row[0] == str(appointment.id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT1\d:00-0[45]:00", row[1])
    assert row[3:9] == [
        "requested",
        "Ben Durham",
        "Durham Central",
        "Dry needling follow-up",
        "Carla Csv",
        "carla.csv@example.com",
    ]
    assert row[9] == "(919) 555-0142"
    body = response.get_data(as_text=True)
    for clinical in ("Warfarin", "Secret calf pain", "anticoagulant", "Please call", "precaution"):
        assert clinical not in body
    with app.app_context():
        [audit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "exported_csv"))
        assert audit.actor_id == desk.id


def test_the_csv_neutralises_spreadsheet_formulas(client, desk, make_user, make_intake, ask):
    patient = make_user(
        first_name='=HYPERLINK("http://x")', last_name="@SUM(A1)", email="f@example.com"
    )
    make_intake(patient)
    ask(patient, days=3)
    today = datetime.now(DURHAM).date()
    rows = list(
        csv.reader(
            io.StringIO(export(client, today, today + timedelta(days=9)).get_data(as_text=True))
        )
    )
    assert rows[1][7] == '\'=HYPERLINK("http://x") @SUM(A1)'
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])


def test_the_csv_covers_only_the_range_in_start_order_across_chunks(
    app, client, desk, patient_named, ask
):
    patient = patient_named("Range", "Test")
    inside = [ask(patient, days=4) for _ in range(3)]
    ask(patient, days=40)
    today = datetime.now(DURHAM).date()
    with app.test_request_context():
        rows = list(export_rows(today, today + timedelta(days=10), "America/New_York", chunk=2))
    assert [r[0] for r in rows] == [a.id for a in inside]
    body = export(client, today, today + timedelta(days=10)).get_data(as_text=True)
    assert len(body.strip().splitlines()) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Give the first day."),
        ("?from=2026-01-01", "Give the last day."),
        ("?from=2026-02-30&to=2026-03-01", "Not a valid date value."),
        ("?from=2026-03-01&to=2026-02-01", "The last day is before the first day."),
        ("?from=2025-01-01&to=2026-01-02", "Export at most 366 days at a time."),
        ("?from=9999-12-31&to=9999-12-31", "Choose a day between 2000 and 2100."),
    ],
)
def test_a_missing_or_bad_range_is_a_400_that_says_why(app, client, desk, query, message):
    response = client.get(f"/staff/appointments.csv{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "exported_csv")
            ).first()
            is None
        )


def test_a_full_year_can_be_exported_from_its_first_day_to_its_last(
    client, desk, clinic, patient_named, make_appointment
):
    patient = patient_named("Leap", "Year")

    def visit(day: date, hour: int):
        where = (clinic.provider, clinic.location, clinic.type)
        return make_appointment(patient, *where, at(day, hour))

    first, last = visit(date(2024, 1, 1), 9), visit(date(2024, 12, 31), 11)
    visit(date(2023, 12, 31), 11), visit(date(2025, 1, 1), 9)  # a day either side: left out

    response = export(client, "2024-01-01", "2024-12-31")  # 366 days, the most allowed

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == [str(first.id), str(last.id)]


def test_the_plain_queue_shows_the_same_forms_as_its_default_filter_typed_in(
    client, desk, patient_named, ask
):
    """The plain queue's forms are kept rendered between requests: they must be the ones the
    same filter, sent from the form, renders afresh."""
    ask(patient_named("Plain", "Request"))

    def forms(query: str) -> list[str]:
        page = client.get(f"/staff/requests{query}").get_data(as_text=True)
        return re.findall(r'<form method="get".*?</form>', page, re.S)

    plain = forms("")
    assert len(plain) == 2 and 'name="provider"' in plain[0] and 'name="from"' in plain[1]
    assert forms("?status=requested") == plain
    assert forms("") == plain  # and the kept copy again
