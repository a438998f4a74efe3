"""The adverse-event register: counts by type and clinic month (clock changes included), each
event linked to its visit, each serious one with who followed it up, and a CSV that carries no
free text; in a fixed number of queries."""

import csv
import io
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AppointmentStatus, AuditEvent, Callback
from intake.permissions import Role
from intake.services import safety
from tests.conftest import persist
from tests.support.notes import signed_note

ZONE = "America/New_York"
DONE = AppointmentStatus.COMPLETED


@pytest.fixture
def dana(make_user):
    return make_user(Role.FRONT_DESK, first_name="Dana", last_name="Reyes")


@pytest.fixture
def visit_at(app, clinic, make_appointment, make_user, dana):
    """A completed visit with Ben at a UTC instant, with a note naming these events; its
    serious ones followed up in a callback left open or closed by Dana, when asked."""

    def build(starts_at, *events, other_event="", follow_up=None):
        patient = make_user(first_name="Maria", last_name="Lopez")
        visit = make_appointment(patient, clinic.provider, clinic.location, clinic.type,
                                 starts_at, DONE)  # fmt: skip
        callback = follow_up and _callback(app, visit, closed=follow_up == "closed", by=dana)
        signed_note(app, visit, events=events, other_event=other_event,
                    aftercare="PRIVATE aftercare words",
                    follow_up=callback and callback.id)  # fmt: skip
        return visit

    return build


def _callback(app, visit, *, closed: bool, by) -> Callback:
    ended = (
        {"status": "closed", "closed_at": visit.ends_at + timedelta(hours=2), "closed_by_id": by.id,
         "outcome": "referred_to_doctor", "outcome_note": "PRIVATE call note"}
        if closed else {}
    )  # fmt: skip
    return persist(
        app,
        Callback(patient_id=visit.patient_id, urgent=True, finding_keys=["adverse_event:fainting"],
                 source="adverse_event", opened_at=visit.ends_at, appointment_id=visit.id,
                 **ended),
    )  # fmt: skip


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_months_are_the_clinics_own_whatever_the_clock_does():
    months = safety.months_back(utc(2026, 12, 15, 12), ZONE)
    assert len(months) == 12
    assert (months[0].first_day.isoformat(), months[-1].first_day.isoformat()) == (
        "2026-01-01",
        "2026-12-01",
    )
    november = months[10]
    # November starts on daylight time (UTC-4) and ends on standard time (UTC-5).
    assert (november.start, november.end) == (utc(2026, 11, 1, 4), utc(2026, 12, 1, 5))
    assert all(a.end == b.start for a, b in pairwise(months))


def test_the_register_counts_by_type_and_clinic_month_across_a_clock_change(app, visit_at):
    # Either side of local midnight on November 1st (still daylight time, UTC-4)...
    visit_at(utc(2026, 11, 1, 3, 30), "bruising")  # October 31, 11:30 PM
    visit_at(utc(2026, 11, 1, 4, 30), "bruising", "fainting")  # November 1, 12:30 AM
    # ...and on December 1st (standard time, UTC-5): an hour a fixed offset would get wrong.
    visit_at(utc(2026, 12, 1, 4, 30), "pneumothorax")  # November 30, 11:30 PM
    visit_at(utc(2026, 12, 1, 5, 30), "other", other_event="Nausea")  # December 1, 12:30 AM
    visit_at(utc(2025, 12, 20, 15), "bruising")  # more than 12 months back: not counted

    with app.app_context():
        register = safety.register(utc(2026, 12, 15, 12), ZONE)

    october, november, december = 9, 10, 11
    assert register.count(october, "bruising") == 1
    assert register.count(november, "bruising") == 1
    assert register.count(november, "fainting") == 1
    assert register.count(november, "pneumothorax") == 1
    assert register.count(december, "other") == 1
    assert register.count(december, "pneumothorax") == 0
    assert (register.month_total(november), register.kind_total("bruising")) == (3, 2)
    assert register.total == 5
    # Newest first (one visit's events: the later row first).
    assert [e.kind for e in register.events] == [
        "other",
        "pneumothorax",
        "fainting",
        "bruising",
        "bruising",
    ]


@pytest.fixture
def admin(client, make_user, login_as):
    user = make_user(Role.ADMIN)
    login_as(user)
    return user


def recent(days_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days_ago)  # the page counts back from today


def test_the_page_lists_each_event_linked_to_its_visit(client, admin, visit_at):
    visit = visit_at(recent(3), "pneumothorax", "bruising")

    html = client.get("/admin/safety").get_data(as_text=True)

    assert "Adverse-event register" in html
    assert f'href="/admin/safety/visits/{visit.id}">Visit {visit.id}</a>' in html
    assert "Suspected pneumothorax" in html and "Serious" in html
    assert 'href="/admin/safety.csv"' in html
    assert "Maria" not in html and "PRIVATE" not in html


def test_the_csv_has_date_type_provider_and_visit_and_no_free_text(app, client, admin, visit_at):
    visit = visit_at(utc(2026, 3, 1, 4, 30), "other", other_event="SECRET nausea")  # Feb 28 local

    response = client.get("/admin/safety.csv")

    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert list(csv.reader(io.StringIO(body))) == [
        ["date", "type", "provider", "visit_id"],
        ["2026-02-28", "Other", "Ben Durham", str(visit.id)],
    ]
    for private in ("SECRET", "nausea", "PRIVATE", "Maria", "Lopez"):
        assert private not in body
    with app.app_context():
        exported = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "exported_csv")
        ).all()
        assert [(e.actor_id, e.object_type) for e in exported] == [(admin.id, "adverse_events")]


def test_each_serious_event_shows_its_follow_up_and_who_closed_it(client, admin, visit_at):
    waiting = visit_at(recent(2), "pneumothorax", follow_up="open")
    closed = visit_at(recent(3), "fainting", "bruising", follow_up="closed")
    visit_at(recent(4), "other", other_event="Nausea")  # signed before follow-ups existed

    html = client.get("/admin/safety").get_data(as_text=True)

    assert "Waiting for a call" in serious_row(html, waiting)
    assert "Closed by" not in serious_row(html, waiting)
    assert "Closed by Dana Reyes" in serious_row(html, closed)
    assert "Referred to their doctor" in serious_row(html, closed)
    assert html.count("Closed by Dana Reyes") == 1  # the bruising needs no follow-up
    assert "Not needed" in html and "No follow-up on record" in html
    for visit in (waiting, closed):
        assert 'href="/staff/callbacks/' in serious_row(html, visit)
    assert "PRIVATE" not in html and "Maria" not in html


def serious_row(html: str, visit) -> str:
    """The register's row for this visit's serious event."""
    [row] = [r for r in html.split("<tr>") if f">Visit {visit.id}</a>" in r and "Serious" in r]
    return row


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_register_costs_a_fixed_number_of_queries(
    client, admin, visit_at, count_queries, how_many
):
    for n in range(how_many):
        follow_up = ("open", "closed", None)[n % 3]
        visit_at(recent(1 + n * 10 % 300), "fainting", "soreness", follow_up=follow_up)

    with count_queries() as queries:
        html = client.get("/admin/safety").get_data(as_text=True)

    assert html.count('href="/admin/safety/visits/') == 2 * how_many
    assert html.count('href="/staff/callbacks/') == how_many - how_many // 3
    # The admin, the counts, the events with their follow-ups (staff pages have no footer of
    # locations).
    assert len([q for q in queries if q != "BEGIN"]) == 3, queries
