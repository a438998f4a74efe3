"""A patient's own forms are for patients: staff, admins included, see patients through
their records and never fill in an intake, a consent or a booking as themselves."""

import pytest

from intake.permissions import Role

PATIENT_PAGES = ["/intake", "/intake/outcome", "/consent", "/account/appointments"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FRONT_DESK, Role.THERAPIST])
def test_staff_are_refused_the_patients_own_forms(client, make_user, login_as, role, clinic):
    login_as(make_user(role))
    for url in [*PATIENT_PAGES, f"/book/{clinic.provider.slug}/confirm"]:
        assert client.get(url).status_code == 403, url
    assert client.post("/intake", data={"legal_first_name": "Staff"}).status_code == 403
    assert client.post("/account/appointments/1/cancel", data={}).status_code == 403


@pytest.mark.parametrize(
    ("role", "start_page"),
    [(Role.ADMIN, "/admin"), (Role.FRONT_DESK, "/staff/requests"), (Role.THERAPIST, "/schedule")],
)
def test_staff_opening_the_patient_account_page_go_to_their_own_start(
    client, make_user, login_as, role, start_page
):
    login_as(make_user(role))
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == start_page


def test_a_patient_still_reaches_their_own_forms(client, make_user, login_as):
    login_as(make_user(Role.PATIENT))
    for url in ["/intake", "/account/appointments", "/account"]:
        assert client.get(url).status_code == 200, url
