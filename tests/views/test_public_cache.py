"""Public pages are the same for every visitor: once warm they read nothing from the database,
a browser's repeat visit gets a 304, and an admin's change shows on the very next request, in
this worker and in any other."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Provider, WorkingHours
from intake.permissions import Role
from tests.conftest import PASSWORD
from tests.support.clock import next_weekday
from tests.views.test_booking import DURHAM, confirm_links, start_of

PUBLIC_PAGES = ["/", "/dry-needling", "/providers?near=27701", "/providers/ada"]


@pytest.fixture
def durham(make_location):
    return make_location("27701", name="Durham Central", slug="durham")


@pytest.fixture
def ada(durham, make_provider):
    return make_provider(
        "Ada Lovelace", [durham], hours=[(durham, 0, time(9), time(17))], slug="ada"
    )


@pytest.fixture
def admin_browser(app, make_user):
    """The admin works in a browser of their own; the visitor's `client` stays anonymous."""
    browser = app.test_client()
    admin = make_user(Role.ADMIN)
    response = browser.post("/account/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def rename_location(browser, location_id: int, name: str) -> None:
    form = {
        "name": name,
        "slug": "durham",
        "address": "1 Main St",
        "city": "Durham",
        "state": "NC",
        "zip_code": "27701",
        "phone": "(919) 555-0199",
        "timezone": "America/New_York",
    }
    response = browser.post(f"/admin/locations/{location_id}", data=form)
    assert response.status_code == 302


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_warm_public_page_reads_nothing_from_the_database(client, ada, count_queries, path):
    assert client.get(path).status_code == 200  # the first visit fills the cache
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert statements == []


def test_the_footer_adds_no_query_for_a_signed_in_patient(
    client, ada, make_user, login_as, count_queries
):
    login_as(make_user(Role.PATIENT))
    client.get("/")
    with count_queries() as statements:
        page = client.get("/").get_data(as_text=True)
    assert "Durham Central" in page
    assert not [s for s in statements if "locations" in s]


def test_an_admin_renaming_a_location_shows_on_the_next_public_request(
    client, ada, durham, admin_browser
):
    assert "Durham Central" in client.get("/").get_data(as_text=True)
    rename_location(admin_browser, durham.id, "Durham Riverside")
    for path in PUBLIC_PAGES:
        page = client.get(path).get_data(as_text=True)
        assert "Durham Riverside" in page, path
        assert "Durham Central" not in page, path


def test_a_deactivated_therapist_leaves_the_directory_at_once(client, ada, admin_browser):
    assert "Ada Lovelace" in client.get("/providers").get_data(as_text=True)
    response = admin_browser.post(f"/admin/users/{ada.user_id}/deactivate")
    assert response.status_code == 302
    assert "Ada Lovelace" not in client.get("/providers").get_data(as_text=True)
    assert client.get("/providers/ada").status_code == 404


def test_another_worker_sees_an_admin_change_on_its_next_request(
    client, ada, durham, admin_browser, make_app
):
    other_worker = make_app().test_client()  # same database and instance folder
    assert "Durham Central" in other_worker.get("/providers/ada").get_data(as_text=True)
    rename_location(admin_browser, durham.id, "Durham Riverside")
    page = other_worker.get("/providers/ada").get_data(as_text=True)
    assert "Durham Riverside" in page and "Durham Central" not in page


def test_a_change_made_outside_the_admin_pages_shows_too(app, client, ada):
    assert "Accepting new patients" in client.get("/providers/ada").get_data(as_text=True)
    with app.app_context():
        provider = db.session.scalars(select(Provider).where(Provider.slug == "ada")).one()
        provider.accepting_new_patients = False
        db.session.commit()
    page = client.get("/providers/ada").get_data(as_text=True)
    assert "Not taking new patients right now" in page


def test_a_commit_that_changes_nothing_public_keeps_the_cache_warm(
    app, client, ada, make_user, count_queries
):
    client.get("/")
    make_user(Role.PATIENT)  # a new patient account is not on any public page
    with count_queries() as statements:
        client.get("/")
    assert statements == []


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_repeat_visit_is_answered_304_without_a_body(client, ada, path):
    first = client.get(path)
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["Content-Security-Policy"]  # the security headers stay


def test_an_admin_change_gives_the_page_a_new_etag(client, ada, durham, admin_browser):
    before = client.get("/providers/ada").headers["ETag"]
    rename_location(admin_browser, durham.id, "Durham Riverside")
    after = client.get("/providers/ada", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before


def test_a_signed_in_visitor_gets_no_etag_and_no_stored_copy(client, ada, make_user, login_as):
    login_as(make_user(Role.PATIENT))
    response = client.get("/providers/ada")
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_signed_in_visitor_never_gets_the_anonymous_copy(client, ada, make_user, login_as, path):
    assert "Sign out" not in client.get(path).text  # an anonymous visit fills the cache
    login_as(make_user(Role.PATIENT, first_name="Grace"))
    assert "Sign out" in client.get(path).text
    client.post("/account/logout", data={})  # and the other way round
    assert "Sign out" not in client.get(path).text


def test_a_flash_message_reaches_its_visitor_past_the_stored_copy(app, client, ada):
    assert client.get("/").status_code == 200  # the anonymous copy is stored
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your message was sent.")]
    assert "Your message was sent." in client.get("/").text
    assert "Your message was sent." not in app.test_client().get("/").text


# --- the slot page reads the directory too ----------------------------------------------------


@pytest.fixture
def ada_books_30_minutes(ada, make_type):
    return make_type(duration_minutes=30, buffer_after_minutes=0)


def mondays_times(client, durham, kind) -> list[str]:
    """The free times of Ada's Monday in two weeks, as "9:00"."""
    monday = next_weekday(datetime.now(UTC), days_ahead=14)
    monday -= timedelta(days=monday.weekday())
    page = client.get(f"/book/ada?location={durham.id}&type={kind.id}&week={monday}")
    assert page.status_code == 200
    starts = [start_of(link).astimezone(DURHAM) for link in confirm_links(page.text)]
    return [f"{s:%-H:%M}" for s in starts if s.date() == monday]


def test_a_warm_slot_page_reads_only_the_bookings_and_time_off(
    client, durham, ada_books_30_minutes, count_queries
):
    mondays_times(client, durham, ada_books_30_minutes)
    with count_queries() as statements:
        assert mondays_times(client, durham, ada_books_30_minutes)[0] == "9:00"
    (read,) = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert "FROM appointments" in read and "FROM time_off" in read  # one statement for both


def test_new_working_hours_show_on_the_slot_page_at_once(
    app, client, ada, durham, ada_books_30_minutes
):
    assert mondays_times(client, durham, ada_books_30_minutes)[:2] == ["9:00", "9:15"]
    with app.app_context():  # as the therapist's hours page writes them
        hours = db.session.scalars(
            select(WorkingHours).where(WorkingHours.provider_id == ada.id)
        ).one()
        hours.starts = time(13)
        db.session.commit()
    assert mondays_times(client, durham, ada_books_30_minutes)[:2] == ["13:00", "13:15"]


def test_a_deactivated_therapist_cannot_be_booked_at_once(client, ada, admin_browser):
    assert client.get("/book/ada").status_code == 200
    response = admin_browser.post(f"/admin/users/{ada.user_id}/deactivate")
    assert response.status_code == 302
    assert client.get("/book/ada").status_code == 404


def test_the_queue_filter_names_every_therapist_as_the_admin_left_them(app, ada, admin_browser):
    """The desk's provider filter comes from the same cache: a new name shows at once, and a
    deactivated therapist stays listed, so that their requests can still be found."""

    def filter_names() -> list[str]:
        page = admin_browser.get("/staff/requests").get_data(as_text=True)
        choices = re.search(r'<select[^>]*name="provider".*?</select>', page, re.S).group(0)
        return re.findall(r"<option[^>]*>([^<]*)</option>", choices)

    assert filter_names() == ["Any provider", "Ada Lovelace"]
    with app.app_context():
        provider = db.session.scalars(select(Provider).where(Provider.slug == "ada")).one()
        provider.display_name = "Ada King"
        db.session.commit()
    assert filter_names() == ["Any provider", "Ada King"]
    response = admin_browser.post(f"/admin/users/{ada.user_id}/deactivate")
    assert response.status_code == 302
    assert filter_names() == ["Any provider", "Ada King"]
