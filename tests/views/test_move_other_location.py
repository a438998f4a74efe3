"""A patient moves a request to a time at another of the same therapist's locations: the
times listed there can be chosen, the therapist is still in one place at a time, and the
email names the new place."""

import re
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Appointment, AppointmentStatus, OutboxMessage, Provider, WorkingHours
from tests.support.clock import at, weekdays_ahead


@pytest.fixture
def chapel_hill(app, clinic, make_location):
    """Ben also works afternoons, Monday to Friday, in Chapel Hill."""
    place = make_location("27514", name="Chapel Hill", timezone="America/New_York")
    with app.app_context():
        ben = db.session.get(Provider, clinic.provider.id)
        ben.locations.append(db.session.merge(place))
        for day in range(5):
            db.session.add(
                WorkingHours(
                    provider_id=ben.id,
                    location_id=place.id,
                    weekday=day,
                    starts=time(13),
                    ends=time(17),
                )
            )
        db.session.commit()
    return place


@pytest.fixture
def days():
    return weekdays_ahead(datetime.now(UTC), 2, days_ahead=3)


@pytest.fixture
def request_in_durham(clinic, ready_patient, make_appointment, days):
    maria = ready_patient()
    visit = make_appointment(maria, clinic.provider, clinic.location, clinic.type, at(days[0], 10))
    return maria, visit


def move(client, visit, start, location_id):
    return client.post(
        f"/account/appointments/{visit.id}/move",
        data={
            "revision": visit.revision,
            "start": start.strftime("%Y-%m-%dT%H:%MZ"),
            "location": location_id,
        },
    )


def stored(app, visit_id) -> Appointment:
    with app.app_context():
        return db.session.get(Appointment, visit_id)


def test_the_times_page_for_the_other_location_posts_its_place_with_the_time(
    client, login_as, clinic, chapel_hill, request_in_durham, days
):
    maria, visit = request_in_durham
    login_as(maria)
    page = client.get(
        f"/book/{clinic.provider.slug}?location={chapel_hill.id}&type={clinic.type.id}"
        f"&move={visit.id}&revision={visit.revision}&week={days[1].isoformat()}"
    ).text
    assert "Choose a new time with Ben Durham" in page
    forms = re.findall(
        r'<form method="post" action="/account/appointments/\d+/move">.*?</form>', page, re.S
    )
    assert forms
    assert all(f'name="location" value="{chapel_hill.id}"' in form for form in forms)


def test_a_request_moves_to_the_other_location_and_the_email_names_it(
    app, client, login_as, clinic, chapel_hill, request_in_durham, days
):
    maria, visit = request_in_durham
    login_as(maria)
    new_start = at(days[1], 14)

    response = move(client, visit, new_start, chapel_hill.id)

    assert response.status_code == 302
    assert "Your request has its new time." in client.get(response.headers["Location"]).text
    moved = stored(app, visit.id)
    assert (moved.location_id, moved.starts_at) == (chapel_hill.id, new_start)
    assert moved.status == AppointmentStatus.REQUESTED
    with app.app_context():
        [email] = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient == maria.email, OutboxMessage.kind == "moved"
            )
        ).all()
    assert f"Where: Chapel Hill, {chapel_hill.one_line_address}" in email.body
    assert "Durham Central" not in email.body


def test_the_therapist_cannot_be_in_two_places_at_once(
    app,
    client,
    login_as,
    clinic,
    chapel_hill,
    request_in_durham,
    days,
    make_user,
    make_appointment,
):
    maria, visit = request_in_durham
    other = make_user(first_name="Sam")
    make_appointment(
        other,
        clinic.provider,
        chapel_hill,
        clinic.type,
        at(days[1], 14),
        AppointmentStatus.CONFIRMED,
    )
    login_as(maria)

    response = move(client, visit, at(days[1], 14), chapel_hill.id)

    assert response.status_code == 409
    assert "That time was just taken" in response.text
    assert "at Chapel Hill" in response.text
    assert stored(app, visit.id).location_id == clinic.location.id


def test_a_location_the_therapist_does_not_work_at_is_refused(
    app, client, login_as, clinic, request_in_durham, days, make_location
):
    maria, visit = request_in_durham
    elsewhere = make_location("27601", name="Raleigh")
    login_as(maria)

    response = move(client, visit, at(days[1], 10), elsewhere.id)

    assert response.status_code == 302
    assert "Please choose one of the times shown." in client.get(response.headers["Location"]).text
    assert stored(app, visit.id).starts_at == at(days[0], 10)


def test_a_time_outside_the_other_locations_hours_is_refused(
    app, client, login_as, clinic, chapel_hill, request_in_durham, days
):
    maria, visit = request_in_durham
    login_as(maria)

    response = move(client, visit, at(days[1], 10), chapel_hill.id)  # Ben is in Durham then

    assert response.status_code == 302
    assert "not available to book online" in client.get(response.headers["Location"]).text
    moved = stored(app, visit.id)
    assert (moved.location_id, moved.starts_at) == (clinic.location.id, at(days[0], 10))
