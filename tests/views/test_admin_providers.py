"""An admin links a therapist's account to a provider profile and keeps it up to date."""

from datetime import time

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, Provider
from intake.permissions import Role


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN)
    login_as(user)
    return user


def profile(user, locations=(), **overrides) -> dict:
    return {
        "user_id": str(user.id),
        "display_name": "Ana Rivera",
        "slug": "ana-rivera",
        "credentials": "PT, DPT",
        "training_hours": "120",
        "bio": "Runner, treats calves and knees.",
        "accepting_new_patients": "y",
        "location_ids": [str(loc.id) for loc in locations],
    } | overrides


def provider_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Provider))


def admin_changes(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.object_type, AuditEvent.object_id).where(
                AuditEvent.action == "admin_change"
            )
        ).all()


def test_an_admin_creates_a_profile_for_a_new_therapist(
    app, client, admin, make_user, make_location
):
    ana = make_user(Role.THERAPIST, first_name="Ana", last_name="Rivera")
    durham, raleigh = make_location(name="Durham"), make_location("27601", name="Raleigh")
    response = client.post("/admin/providers/new", data=profile(ana, [durham, raleigh]))
    assert response.headers["Location"] == "/admin/providers"
    with app.app_context():
        provider = db.session.scalars(select(Provider)).one()
        assert provider.user_id == ana.id
        assert provider.training_hours == 120 and provider.accepting_new_patients
        assert [loc.name for loc in provider.locations] == ["Durham", "Raleigh"]
        provider_id = provider.id
    assert admin_changes(app) == [("provider", provider_id)]
    page = client.get("/admin/providers").get_data(as_text=True)
    assert "Ana Rivera" in page and "Durham, Raleigh" in page


def test_only_free_active_therapists_can_be_linked(client, admin, make_user, make_provider):
    free = make_user(Role.THERAPIST, email="free@example.org")
    make_user(Role.THERAPIST, email="gone@example.org", active=False)
    make_user(Role.FRONT_DESK, email="desk@example.org")
    make_user(Role.PATIENT, email="patient@example.org")
    make_provider(user=make_user(Role.THERAPIST, email="linked@example.org"))
    page = client.get("/admin/providers/new").get_data(as_text=True)
    assert "free@example.org" in page
    for email in ("gone@", "desk@", "patient@", "linked@"):
        assert email not in page.split("<select", 1)[1].split("</select>")[0]
    assert free.role == Role.THERAPIST


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"training_hours": "1001"}, "Enter a number from 0 to 1000."),
        ({"training_hours": "-1"}, "Enter a number from 0 to 1000."),
        ({"training_hours": ""}, "Enter the hours of training."),
        ({"bio": "x" * 4001}, "Field cannot be longer than 4000 characters."),
        ({"display_name": ""}, "This is required."),
        ({"slug": "Ana Rivera!"}, "Use lower-case letters"),
        ({"user_id": ""}, "Choose the therapist&#39;s account."),
        ({"location_ids": ["9999"]}, "Choose among the locations listed."),
    ],
)
def test_a_profile_with_a_mistake_is_explained_and_not_saved(
    app, client, admin, make_user, overrides, message
):
    ana = make_user(Role.THERAPIST)
    response = client.post("/admin/providers/new", data=profile(ana, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # sent back with what to fix, as every form is
    assert message in page
    assert "Runner, treats calves and knees." in page or "x" * 4001 in page
    assert provider_count(app) == 0
    assert admin_changes(app) == []


def test_a_front_desk_account_cannot_be_slipped_in_as_a_provider(app, client, admin, make_user):
    desk = make_user(Role.FRONT_DESK)
    page = client.post("/admin/providers/new", data=profile(desk)).get_data(as_text=True)
    assert "Choose one of the therapists listed." in page
    assert provider_count(app) == 0


def test_an_admin_edits_a_profile_and_sees_the_working_hours_read_only(
    app, client, admin, make_user, make_provider, make_location
):
    durham, raleigh = make_location(name="Durham"), make_location("27601", name="Raleigh")
    user = make_user(Role.THERAPIST)
    ana = make_provider("Ana Rivera", [durham], user=user, hours=[(durham, 0, time(9), time(12))])
    page = client.get(f"/admin/providers/{ana.id}").get_data(as_text=True)
    assert "Monday" in page and "9:00 AM to 12:00 PM" in page
    assert 'name="weekday"' not in page  # read-only here: the therapist edits them
    response = client.post(
        f"/admin/providers/{ana.id}",
        data=profile(user, [durham, raleigh], slug=ana.slug, accepting_new_patients=""),
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Provider, ana.id)
        assert not stored.accepting_new_patients
        assert {loc.name for loc in stored.locations} == {"Durham", "Raleigh"}
    assert admin_changes(app) == [("provider", ana.id)]


def test_a_location_where_the_therapist_still_works_cannot_be_removed(
    app, client, admin, make_user, make_provider, make_location
):
    durham, raleigh = make_location(name="Durham"), make_location("27601", name="Raleigh")
    user = make_user(Role.THERAPIST)
    ana = make_provider("Ana", [durham, raleigh], user=user, hours=[(durham, 0, time(9), time(12))])
    page = client.post(
        f"/admin/providers/{ana.id}", data=profile(user, [raleigh], slug=ana.slug)
    ).get_data(as_text=True)
    assert "still has working hours at Durham" in page
    with app.app_context():
        assert len(db.session.get(Provider, ana.id).locations) == 2


def test_two_profiles_cannot_share_a_slug(app, client, admin, make_user, make_provider):
    make_provider(slug="ana-rivera")
    page = client.post("/admin/providers/new", data=profile(make_user(Role.THERAPIST))).get_data(
        as_text=True
    )
    assert "Another provider already uses this slug." in page
    assert provider_count(app) == 1


def test_html_in_a_provider_name_is_shown_as_text(client, admin, make_user):
    ana = make_user(Role.THERAPIST)
    client.post("/admin/providers/new", data=profile(ana, display_name="<b>Ana</b>"))
    page = client.get("/admin/providers").get_data(as_text=True)
    assert "&lt;b&gt;Ana&lt;/b&gt;" in page and "<b>Ana</b>" not in page


def test_an_unknown_provider_is_not_found(client, admin, make_user):
    assert client.get("/admin/providers/9999").status_code == 404
    data = profile(make_user(Role.THERAPIST))
    assert client.post("/admin/providers/9999", data=data).status_code == 404
