"""An admin sets up what patients can book: length, buffer, needling, on or off."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Appointment, AppointmentType, AuditEvent
from intake.permissions import Role


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN)
    login_as(user)
    return user


def follow_up(**overrides) -> dict:
    return {
        "name": "Dry needling follow-up",
        "slug": "follow-up",
        "duration_minutes": "45",
        "buffer_after_minutes": "15",
        "involves_dry_needling": "y",
        "active": "y",
    } | overrides


def type_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AppointmentType))


def test_an_admin_adds_an_appointment_type(app, client, admin):
    response = client.post("/admin/types/new", data=follow_up())
    assert response.headers["Location"] == "/admin/types"
    with app.app_context():
        kind = db.session.scalars(select(AppointmentType)).one()
        assert (kind.duration_minutes, kind.buffer_after_minutes) == (45, 15)
        assert kind.involves_dry_needling and kind.active
        audit = db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id)
        ).all()
    assert (admin.id, "appointment_type", kind.id) in audit
    assert "Dry needling follow-up" in client.get("/admin/types").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": "47"}, "Use steps of 5 minutes"),
        ({"duration_minutes": "0"}, "Enter from 5 to 240 minutes."),
        ({"duration_minutes": "245"}, "Enter from 5 to 240 minutes."),
        ({"duration_minutes": "half an hour"}, "Not a valid integer value."),
        ({"buffer_after_minutes": "61"}, "Enter from 0 to 60 minutes."),
        ({"buffer_after_minutes": "-5"}, "Enter from 0 to 60 minutes."),
        ({"name": ""}, "This is required."),
        ({"slug": "follow up"}, "Use lower-case letters"),
    ],
)
def test_a_type_with_a_mistake_is_explained_and_not_saved(app, client, admin, overrides, message):
    response = client.post("/admin/types/new", data=follow_up(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # sent back with what to fix, as every form is
    assert message in page
    typed = overrides.get("duration_minutes", "45")
    assert f'value="{typed}"' in page
    assert type_count(app) == 0


def test_two_types_cannot_share_a_slug(app, client, admin, make_type):
    make_type(slug="follow-up")
    page = client.post("/admin/types/new", data=follow_up()).get_data(as_text=True)
    assert "Another appointment type already uses this slug." in page
    assert type_count(app) == 1


def test_deactivating_a_type_keeps_the_appointments_made_with_it(
    app, client, admin, clinic, make_user, make_appointment
):
    patient = make_user()
    visit = make_appointment(
        patient, clinic.provider, clinic.location, clinic.type, datetime(2030, 3, 4, 15, tzinfo=UTC)
    )
    response = client.post(
        f"/admin/types/{clinic.type.id}",
        data=follow_up(
            name=clinic.type.name, slug=clinic.type.slug, duration_minutes="30", active=""
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(AppointmentType, clinic.type.id).active
        assert db.session.get(Appointment, visit.id).type_id == clinic.type.id
    assert "Inactive" in client.get("/admin/types").get_data(as_text=True)


def test_html_in_a_type_name_is_shown_as_text(client, admin):
    client.post("/admin/types/new", data=follow_up(name='<img src=x onerror="alert(1)">'))
    page = client.get("/admin/types").get_data(as_text=True)
    assert "&lt;img src=x" in page and "<img src=x" not in page


def test_an_unknown_type_is_not_found(client, admin):
    assert client.get("/admin/types/9999").status_code == 404
    assert client.post("/admin/types/9999", data=follow_up()).status_code == 404


def test_two_types_cannot_share_a_name_patients_choose_by(app, client, admin):
    assert client.post("/admin/types/new", data=follow_up()).status_code == 302
    again = follow_up(name="  dry NEEDLING follow-up ", slug="follow-up-2")
    response = client.post("/admin/types/new", data=again)
    assert response.status_code == 400
    assert "Another appointment type already has this name" in response.text
    assert 'value="dry NEEDLING follow-up"' in response.text  # what was typed, kept
    assert type_count(app) == 1
