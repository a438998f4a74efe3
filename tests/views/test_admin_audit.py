"""An admin reads the audit trail: filters, pages, CSV, in a fixed number of queries.
The trail itself cannot be edited or deleted, whatever code runs against the database."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models import AuditEvent
from intake.permissions import Role
from tests.conftest import persist

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN, first_name="Ada", last_name="Admin", email="ada@example.org")
    login_as(user)
    return user


@pytest.fixture
def add_events(app):
    """`add_events(n, **fields)`: n events a minute apart, IPs 10.9.0.1, 10.9.0.2 ..."""

    def build(n: int, start: datetime = START, **fields):
        events = [
            AuditEvent(
                action=fields.get("action", "viewed_intake"),
                actor_id=fields.get("actor_id"),
                patient_id=fields.get("patient_id"),
                object_type=fields.get("object_type", "intake"),
                object_id=i + 1,
                ip_address=f"10.9.0.{i + 1}",
                at=start + timedelta(minutes=i),
            )
            for i in range(n)
        ]
        persist(app, *events)

    return build


def rows_shown(page: str) -> int:
    return page.count("<td>10.9.0.")


def test_the_log_lists_events_newest_first_with_names(client, admin, make_user, add_events):
    desk = make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")
    maria = make_user(first_name="Maria", last_name="Lopez")
    add_events(2, actor_id=desk.id, patient_id=maria.id)
    page = client.get("/admin/audit?action=viewed_intake").get_data(as_text=True)
    assert rows_shown(page) == 2
    assert page.index("10.9.0.2") < page.index("10.9.0.1")  # newest first
    assert "Dana Reyes" in page and f"Maria Lopez (#{maria.id})" in page
    assert "Viewed an intake" in page and "intake #1" in page
    assert "2026-03-02 10:00:00 EST" in page  # in the clinic's zone


def test_filters_by_patient_actor_action_and_clinic_dates(client, admin, make_user, add_events):
    desk = make_user(Role.FRONT_DESK, email="desk@example.org")
    maria, john = make_user(email="maria@example.org"), make_user(email="john@example.org")
    add_events(1, actor_id=desk.id, patient_id=maria.id)
    add_events(1, actor_id=desk.id, patient_id=john.id, action="viewed_consent")
    # 03:30 UTC on the 10th is still the evening of March 9 in Raleigh (EDT, UTC-4).
    add_events(1, start=datetime(2026, 3, 10, 3, 30, tzinfo=UTC), patient_id=john.id)

    def shown(query: str) -> int:
        return rows_shown(client.get(f"/admin/audit?{query}").get_data(as_text=True))

    assert shown(f"patient={maria.id}") == 1
    assert shown("patient=JOHN@example.org") == 2
    assert shown("actor=desk@example.org") == 2
    assert shown("actor=desk@example.org&action=viewed_consent") == 1
    assert shown("since=2026-03-09&until=2026-03-09") == 1
    assert shown("since=2026-03-10") == 0
    assert shown("until=2026-03-08") == 2


@pytest.mark.parametrize(
    ("query", "message", "kept"),
    [
        ("patient=maria", "Enter a patient number, such as 42, or an email", 'value="maria"'),
        (
            "since=2026-03-10&until=2026-03-01",
            "The end date must be on or after the start date.",
            'value="2026-03-01"',
        ),
        # A date picker cannot hold "yesterday": the field is named, not refilled with it.
        ("since=yesterday", "Not a valid date value.", 'name="since"'),
        ("action=deleted_everything", "Choose one of the actions listed.", "Any action"),
    ],
)
def test_a_filter_that_makes_no_sense_is_explained_and_kept(client, admin, query, message, kept):
    page = client.get(f"/admin/audit?{query}").get_data(as_text=True)
    assert message in page
    assert kept in page
    assert "<table" not in page


def test_the_log_is_paged_fifty_at_a_time(client, admin, add_events):
    add_events(120)
    first = client.get("/admin/audit?action=viewed_intake").get_data(as_text=True)
    assert rows_shown(first) == 50 and "Page 1 of 3" in first
    assert "/admin/audit?page=2&amp;action=viewed_intake" in first
    last = client.get("/admin/audit?action=viewed_intake&page=3").get_data(as_text=True)
    assert rows_shown(last) == 20 and "<td>10.9.0.1</td>" in last
    beyond = client.get("/admin/audit?action=viewed_intake&page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond


def test_the_list_runs_the_same_queries_for_5_rows_as_for_50(
    client, admin, make_user, add_events, count_queries
):
    def add_rows(n: int) -> None:
        for _ in range(n):  # each row its own actor and patient: nothing may load per row
            add_events(1, actor_id=make_user(Role.FRONT_DESK).id, patient_id=make_user().id)

    def selects_for_list(rows: int) -> list[str]:
        with count_queries() as queries:
            page = client.get("/admin/audit?action=viewed_intake").get_data(as_text=True)
        assert page.count("<td>10.9.0.1</td>") == rows
        return [q for q in queries if q.lstrip().upper().startswith("SELECT")]

    client.get("/admin/audit")  # a first look, so the second counts only its own
    add_rows(5)
    five = selects_for_list(5)
    add_rows(45)
    fifty = selects_for_list(50)
    assert len(five) == len(fifty)
    # The signed-in user, the actions known to the filter, the count and the page itself.
    assert len(fifty) == 4, fifty


def test_the_csv_export_holds_the_filtered_rows_and_defuses_formulas(
    client, admin, make_user, add_events
):
    mallory = make_user(Role.FRONT_DESK, first_name="=HYPERLINK(1)", last_name="-2+3")
    add_events(3, actor_id=mallory.id, action="status_changed", object_type="appointment")
    add_events(2)  # viewed_intake: filtered out
    response = client.get("/admin/audit.csv?action=status_changed")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["at_utc", "action", "actor_id"]
    assert len(rows) == 4
    assert rows[1][0] == "2026-03-02T15:02:00+00:00"
    assert rows[1][3] == "'=HYPERLINK(1) -2+3"
    assert {row[1] for row in rows[1:]} == {"status_changed"}
    page = client.get("/admin/audit?action=exported_csv").get_data(as_text=True)
    assert "Exported a CSV file" in page and "audit events" in page


def test_the_csv_of_an_invalid_filter_sends_back_to_the_list(client, admin):
    response = client.get("/admin/audit.csv?patient=nobody")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/audit?patient=nobody")


def test_no_clinical_answer_reaches_the_audit_list(client, admin, make_user, add_events):
    add_events(1, patient_id=make_user().id)
    page = client.get("/admin/audit").get_data(as_text=True)
    for clinical in ("pain", "screening", "medication"):
        assert clinical not in page.split("<table", 1)[1].lower()


def refused(app, statement) -> bool:
    with app.app_context():
        try:
            db.session.execute(statement)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return True
        return False


def test_the_database_refuses_to_edit_or_delete_audit_rows(app, add_events):
    add_events(1)
    assert refused(app, update(AuditEvent).values(action="nothing_happened"))
    assert refused(app, delete(AuditEvent))
    with app.app_context():
        assert db.session.scalars(db.select(AuditEvent.action)).all() == ["viewed_intake"]
