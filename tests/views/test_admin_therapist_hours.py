"""An admin sets any therapist's weekly hours and time off from the provider's admin page, on
the same pages the therapist uses; every change is audited, and a therapist still edits only
their own."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, TimeOff, WorkingHours
from intake.permissions import Role
from tests.support.clock import CLINIC_ZONE


@pytest.fixture
def admin(make_user, login_as):
    alex = make_user(Role.ADMIN, first_name="Alex")
    login_as(alex)
    return alex


def hours_of(app, provider_id) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            select(WorkingHours).where(WorkingHours.provider_id == provider_id)
        )
        return sorted((b.weekday, b.starts, b.ends) for b in rows)


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_provider_page_links_to_the_therapists_hours_and_time_off(client, clinic, admin):
    page = client.get(f"/admin/providers/{clinic.provider.id}").text
    assert f'href="/admin/providers/{clinic.provider.id}/hours"' in page
    assert f'href="/admin/providers/{clinic.provider.id}/time-off"' in page


def test_an_admin_adds_saturday_hours_for_ben(app, client, clinic, admin):
    page = client.get(f"/admin/providers/{clinic.provider.id}/hours")
    assert page.status_code == 200
    assert "Ben Durham&#39;s working hours" in page.text
    assert f'action="/admin/providers/{clinic.provider.id}/hours"' in page.text

    saved = client.post(
        f"/admin/providers/{clinic.provider.id}/hours",
        data={"location": clinic.location.id, "weekday": "5", "starts": "09:00", "ends": "12:00"},
    )

    assert saved.status_code == 302
    assert saved.headers["Location"] == f"/admin/providers/{clinic.provider.id}/hours"
    assert "Ben Durham&#39;s hours are saved." in client.get(saved.headers["Location"]).text
    assert (5, time(9), time(12)) in hours_of(app, clinic.provider.id)
    [row] = audit_rows(app, "changed_hours")
    assert row.actor_id == admin.id
    assert row.detail == {"provider_id": clinic.provider.id}


def test_a_bad_block_keeps_what_was_typed_and_says_what_to_fix(app, client, clinic, admin):
    before = hours_of(app, clinic.provider.id)
    answer = client.post(
        f"/admin/providers/{clinic.provider.id}/hours",
        data={"location": clinic.location.id, "weekday": "5", "starts": "12:00", "ends": "09:00"},
    )
    assert answer.status_code == 400
    assert "The block must end after it starts." in answer.text
    assert 'value="12:00"' in answer.text
    assert hours_of(app, clinic.provider.id) == before


def test_an_admin_removes_one_of_bens_blocks(app, client, clinic, admin):
    with app.app_context():
        monday = db.session.scalars(
            select(WorkingHours).where(
                WorkingHours.provider_id == clinic.provider.id, WorkingHours.weekday == 0
            )
        ).one()
    removed = client.post(f"/admin/providers/{clinic.provider.id}/hours/{monday.id}/remove")
    assert removed.status_code == 302
    assert 0 not in [day for day, _, _ in hours_of(app, clinic.provider.id)]


def test_an_admin_gives_ben_time_off_and_takes_it_back(app, client, clinic, admin):
    day = (datetime.now(UTC) + timedelta(days=40)).astimezone(CLINIC_ZONE).date()
    page = client.get(f"/admin/providers/{clinic.provider.id}/time-off")
    assert page.status_code == 200 and "Ben Durham&#39;s time off" in page.text

    saved = client.post(
        f"/admin/providers/{clinic.provider.id}/time-off",
        data={"starts": f"{day}T08:00", "ends": f"{day}T17:00", "reason": "Course"},
    )
    assert saved.status_code == 302
    with app.app_context():
        [off] = db.session.scalars(
            select(TimeOff).where(TimeOff.provider_id == clinic.provider.id)
        ).all()
    assert off.reason == "Course"
    assert audit_rows(app, "changed_time_off")[0].actor_id == admin.id

    deleted = client.post(f"/admin/providers/{clinic.provider.id}/time-off/{off.id}/delete")
    assert deleted.status_code == 302
    assert len(audit_rows(app, "changed_time_off")) == 2


def test_a_block_of_another_provider_is_not_found_under_ben(
    app, client, clinic, admin, make_provider
):
    other = make_provider(
        "Cara Hill", [clinic.location], hours=[(clinic.location, 2, time(9), time(10))]
    )
    with app.app_context():
        block = db.session.scalars(
            select(WorkingHours).where(WorkingHours.provider_id == other.id)
        ).one()
    answer = client.post(f"/admin/providers/{clinic.provider.id}/hours/{block.id}/remove")
    assert answer.status_code == 404
    assert hours_of(app, other.id) == [(2, time(9), time(10))]


def test_an_unknown_provider_is_not_found(client, admin):
    assert client.get("/admin/providers/999999/hours").status_code == 404


def test_a_therapist_cannot_use_the_admin_pages_and_still_keeps_their_own(
    app, clinic, make_provider, make_user, login_as, client
):
    cara_login = make_user(Role.THERAPIST, first_name="Cara")
    cara = make_provider("Cara Hill", [clinic.location], user=cara_login)
    login_as(cara_login)
    refused = client.post(
        f"/admin/providers/{clinic.provider.id}/hours",
        data={"location": clinic.location.id, "weekday": "5", "starts": "09:00", "ends": "12:00"},
    )
    assert refused.status_code == 403
    assert 5 not in [day for day, _, _ in hours_of(app, clinic.provider.id)]

    own = client.post(
        "/schedule/hours",
        data={"location": clinic.location.id, "weekday": "5", "starts": "09:00", "ends": "12:00"},
    )
    assert own.status_code == 302 and own.headers["Location"] == "/schedule/hours"
    assert "Your hours are saved." in client.get("/schedule/hours").text
    assert hours_of(app, cara.id) == [(5, time(9), time(12))]
