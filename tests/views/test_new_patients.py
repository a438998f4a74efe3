"""A provider not taking new patients: a new patient is told so, shown who nearby takes new
patients, and cannot send a request; a patient they have seen before books as usual."""

from datetime import UTC, datetime, time, timedelta

import pytest

from intake.models import AppointmentStatus
from intake.permissions import Role
from tests.support.clock import next_weekday_at
from tests.views.test_booking import appointments, confirm_links, iso, request_form, written

WEEKDAYS = range(5)


@pytest.fixture
def closed(clinic, make_provider, make_user, make_location):
    """Carla, full, works where Ben works; near them Olive takes new patients and Nora does
    not; Fay takes new patients too, but in Charlotte, far away."""
    durham = clinic.location

    def provider(name, slug, places, accepting=True):
        return make_provider(
            name,
            places,
            slug=slug,
            user=make_user(Role.THERAPIST, first_name=name.split()[0]),
            hours=[(places[0], day, time(9), time(12)) for day in WEEKDAYS],
            accepting_new_patients=accepting,
        )

    carla = provider("Carla Full", "carla", [durham], accepting=False)
    chapel_hill = make_location("27514", name="Chapel Hill", city="Chapel Hill")
    provider("Olive Open", "olive", [chapel_hill])
    provider("Nora Full", "nora", [durham], accepting=False)
    provider("Fay Faraway", "fay", [make_location("28202", name="Charlotte", city="Charlotte")])
    return carla


@pytest.fixture
def slot() -> datetime:
    return next_weekday_at(datetime.now(UTC), 10)


def carla_form(clinic, slot):
    return request_form(clinic, slot)


def suggested(page: str) -> list[str]:
    section = page.split('id="suggestions-title"', 1)[1].split("</section>", 1)[0]
    return [
        name for name in ("Ben Durham", "Olive Open", "Nora Full", "Fay Faraway") if name in section
    ]


def test_a_new_patient_is_told_and_shown_who_nearby_takes_new_patients(
    client, clinic, closed, ready_patient, login_as
):
    login_as(ready_patient())

    response = client.get(f"/book/carla?location={clinic.location.id}&type={clinic.type.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Carla Full is not taking new patients right now." in page
    assert "Patients who have already had a visit with Carla Full can still book." in page
    assert confirm_links(page) == []
    # Ben at the same clinic first, then Olive in Chapel Hill; never Nora (full), nor Fay.
    assert suggested(page) == ["Ben Durham", "Olive Open"]
    assert page.index("Ben Durham") < page.index("Olive Open")
    assert "the same clinic" in page


def test_a_new_patients_request_is_refused_and_nothing_is_written(
    app, client, clinic, closed, ready_patient, login_as, slot
):
    login_as(ready_patient())
    form = carla_form(clinic, slot)
    query = f"?location={clinic.location.id}&type={clinic.type.id}&start={iso(slot)}"

    shown = client.get(f"/book/carla/confirm{query}")
    sent = client.post("/book/carla/confirm", data=form)

    assert shown.status_code == sent.status_code == 403
    assert "Carla Full is not taking new patients right now." in sent.get_data(as_text=True)
    assert "Olive Open" in sent.get_data(as_text=True)
    assert written(app) == (0, 0, 0)


def test_a_patient_seen_before_still_books_with_a_full_provider(
    app, client, clinic, closed, ready_patient, login_as, make_appointment, slot
):
    patient = ready_patient()
    earlier = make_appointment(
        patient,
        closed,
        clinic.location,
        clinic.type,
        slot - timedelta(days=30),
        status=AppointmentStatus.COMPLETED,
    )
    login_as(patient)

    page = client.get(f"/book/carla?location={clinic.location.id}&type={clinic.type.id}").text
    response = client.post("/book/carla/confirm", data=carla_form(clinic, slot))

    assert "not taking new patients" not in page
    assert f"/book/carla/confirm?location={clinic.location.id}" in page
    assert response.status_code == 302
    stored = [a for a in appointments(app) if a.id != earlier.id]
    assert [(a.provider_id, a.starts_at, a.status) for a in stored] == [
        (closed.id, slot, AppointmentStatus.REQUESTED)
    ]


@pytest.mark.parametrize(
    "status", [AppointmentStatus.REQUESTED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW]
)
def test_only_a_completed_visit_makes_a_patient_an_existing_one(
    app, client, clinic, closed, ready_patient, login_as, make_appointment, slot, status
):
    patient = ready_patient()
    make_appointment(
        patient, closed, clinic.location, clinic.type, slot + timedelta(days=7), status=status
    )
    login_as(patient)

    response = client.post("/book/carla/confirm", data=carla_form(clinic, slot))

    assert response.status_code == 403
    assert len(appointments(app)) == 1


def test_the_public_profile_says_so_to_everyone_and_suggests_providers_taking_patients(
    client, clinic, closed
):
    page = client.get("/providers/carla").get_data(as_text=True)

    assert "Not taking new patients right now" in page
    assert "Patients who have already had a visit with Carla can still book." in page
    assert suggested(page) == ["Ben Durham", "Olive Open"]
    # The cached page is the same for every visitor: nothing in it depends on who looks.
    assert client.get("/providers/carla").get_data(as_text=True) == page


def test_a_visitor_not_signed_in_is_told_and_asked_to_sign_in_if_seen_before(
    client, clinic, closed
):
    page = client.get("/book/carla").get_data(as_text=True)

    assert "Carla Full is not taking new patients right now." in page
    assert "Sign in</a> to see the free times" in page
    assert confirm_links(page) == []


def test_a_profile_open_to_new_patients_suggests_nobody(client, clinic, closed):
    page = client.get("/providers/olive").get_data(as_text=True)
    assert "Accepting new patients" in page
    assert 'id="suggestions-title"' not in page
