"""A patient whose request the clinic declined sees why, on the visit's page and in the list,
and a "Choose another time" button to the same provider's times."""

from datetime import UTC, datetime

import pytest

from intake.permissions import Role
from tests.support.clock import next_weekday_at


@pytest.fixture
def declined(clinic, ready_patient, make_appointment, make_user, app):
    maria = ready_patient()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    visit = make_appointment(maria, clinic.provider, clinic.location, clinic.type, start)
    desk = app.test_client()
    dana = make_user(Role.FRONT_DESK)
    desk.post("/account/login", data={"email": dana.email, "password": "correct horse battery"})
    answer = desk.post(
        f"/staff/requests/{visit.id}/decline",
        data={"reason": "Ben is at a course that week.", "revision": visit.revision},
    )
    assert answer.status_code == 302
    return maria, visit


def another_time_link(clinic) -> str:
    return f"/book/{clinic.provider.slug}?location={clinic.location.id}&amp;type={clinic.type.id}"


def test_the_visit_page_says_why_and_offers_another_time(client, login_as, clinic, declined):
    maria, visit = declined
    login_as(maria)
    page = client.get(f"/account/appointments/{visit.id}").text
    assert "Declined" in page
    assert "Why we could not confirm it: Ben is at a course that week." in page
    assert f'href="{another_time_link(clinic)}"' in page
    assert "Choose another time" in page

    times = client.get(another_time_link(clinic).replace("&amp;", "&"))
    assert times.status_code == 200
    assert "Free times" in times.text and "Book with Ben Durham" in times.text


def test_the_list_of_appointments_says_why_too(client, login_as, clinic, declined):
    maria, _ = declined
    login_as(maria)
    listing = client.get("/account/appointments").text
    assert "Why we could not confirm it: Ben is at a course that week." in listing
    assert f'href="{another_time_link(clinic)}"' in listing


def test_a_request_still_waiting_has_no_reason_and_no_button(
    client, login_as, clinic, ready_patient, make_appointment
):
    maria = ready_patient()
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    visit = make_appointment(maria, clinic.provider, clinic.location, clinic.type, start)
    login_as(maria)
    page = client.get(f"/account/appointments/{visit.id}").text
    assert "Why we could not confirm it" not in page
    assert "Choose another time" not in page


def test_the_list_reads_every_reason_in_one_query(
    app, client, login_as, clinic, declined, make_appointment, count_queries
):
    maria, _ = declined
    login_as(maria)

    def statements() -> int:
        with count_queries() as queries:
            assert client.get("/account/appointments").status_code == 200
        return len(queries)

    statements()  # the first page warms the app's caches
    few = statements()
    for days in (5, 6, 7):  # declined visits hold no time, but distinct days all the same
        start = next_weekday_at(datetime.now(UTC), 10, days_ahead=days * 2)
        make_appointment(
            maria, clinic.provider, clinic.location, clinic.type, start, status="declined"
        )
    assert statements() == few
