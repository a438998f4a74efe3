"""An admin adds and edits the clinic's locations; bad input is explained and nothing saved."""

import pytest
from sqlalchemy import func, select

from intake.domain.geo import locate
from intake.extensions import db
from intake.models import AuditEvent, Location
from intake.permissions import Role


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN)
    login_as(user)
    return user


def chapel_hill(**overrides) -> dict:
    return {
        "name": "Chapel Hill Clinic",
        "slug": "chapel-hill",
        "address": "100 Franklin St",
        "city": "Chapel Hill",
        "state": "nc",
        "zip_code": "27514",
        "phone": "(919) 555-0123",
        "timezone": "America/New_York",
    } | overrides


def admin_changes(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id).where(
                AuditEvent.action == "admin_change"
            )
        ).all()


def location_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Location))


def test_an_admin_adds_a_location_placed_on_the_map_by_its_zip(app, client, admin):
    response = client.post("/admin/locations/new", data=chapel_hill())
    assert response.headers["Location"] == "/admin/locations"
    with app.app_context():
        location = db.session.scalars(select(Location)).one()
        assert (location.state, location.phone) == ("NC", "+19195550123")
        expected = locate("27514").point
        assert (location.latitude, location.longitude) == (expected.latitude, expected.longitude)
        location_id = location.id
    assert admin_changes(app) == [(admin.id, "location", location_id)]
    page = client.get("/admin/locations").get_data(as_text=True)
    assert "Chapel Hill Clinic" in page and "(919) 555-0123" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This is required."),
        ({"slug": "Chapel Hill"}, "Use lower-case letters, digits and single hyphens"),
        ({"slug": "chapel--hill"}, "Use lower-case letters, digits and single hyphens"),
        ({"state": "North Carolina"}, "Use the two-letter abbreviation"),
        ({"zip_code": "2751"}, "Use 5 digits, like 27701."),
        ({"zip_code": "00000"}, "We do not know this ZIP code."),
        ({"phone": "555"}, "Enter a phone number we can call"),
        ({"timezone": "Europe/Paris"}, "Choose one of the time zones listed."),
        ({"timezone": "Not/AZone"}, "Choose one of the time zones listed."),
    ],
)
def test_a_location_with_a_mistake_is_explained_and_not_saved(
    app, client, admin, overrides, message
):
    response = client.post("/admin/locations/new", data=chapel_hill(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # sent back with what to fix, as every form is
    assert message in page
    assert 'value="100 Franklin St"' in page  # what was typed stays
    assert location_count(app) == 0
    assert admin_changes(app) == []


def test_two_locations_cannot_share_a_slug(app, client, admin, make_location):
    make_location(slug="chapel-hill")
    page = client.post("/admin/locations/new", data=chapel_hill()).get_data(as_text=True)
    assert "Another location already uses this slug." in page
    assert location_count(app) == 1


def test_an_admin_edits_a_location(app, client, admin, make_location):
    durham = make_location("27701", name="Durham", slug="durham")
    page = client.get(f"/admin/locations/{durham.id}").get_data(as_text=True)
    assert 'value="Durham"' in page and 'value="27701"' in page
    response = client.post(
        f"/admin/locations/{durham.id}",
        data=chapel_hill(name="Durham Downtown", slug="durham", zip_code="27601"),
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Location, durham.id)
        assert stored.name == "Durham Downtown"
        assert stored.latitude == locate("27601").point.latitude
    assert admin_changes(app) == [(admin.id, "location", durham.id)]


def test_a_refused_edit_leaves_the_location_as_it_was(app, client, admin, make_location):
    durham = make_location("27701", name="Durham", slug="durham")
    client.post(f"/admin/locations/{durham.id}", data=chapel_hill(zip_code="99999"))
    with app.app_context():
        assert db.session.get(Location, durham.id).name == "Durham"


def test_html_in_a_location_name_is_shown_as_text(app, client, admin):
    client.post("/admin/locations/new", data=chapel_hill(name="<script>alert(1)</script>"))
    page = client.get("/admin/locations").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_an_unknown_location_is_not_found(client, admin):
    assert client.get("/admin/locations/9999").status_code == 404
    assert client.post("/admin/locations/9999", data=chapel_hill()).status_code == 404


def test_two_locations_cannot_share_a_name_patients_choose_by(app, client, admin):
    assert client.post("/admin/locations/new", data=chapel_hill()).status_code == 302
    response = client.post(
        "/admin/locations/new", data=chapel_hill(name="chapel hill clinic", slug="chapel-hill-2")
    )
    assert response.status_code == 400
    assert "Another location already has this name" in response.text
    assert len(admin_changes(app)) == 1
