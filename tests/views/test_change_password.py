"""Anyone signed in changes their password; every other device is signed out, this one stays."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, User
from intake.passwords import verify_password
from intake.permissions import Role
from tests.conftest import PASSWORD

NEW = "a brand new secret"


def change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
    )


def sign_in(client, user, password=PASSWORD, remember=False):
    data = {"email": user.email, "password": password} | ({"remember": "y"} if remember else {})
    return client.post("/account/login", data=data)


def stored_hash(app, user) -> str:
    with app.app_context():
        return db.session.get(User, user.id).password_hash


def audited(app) -> list[tuple[str, int, int]]:
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_id).where(
                AuditEvent.action.like("password%")
            )
        ).all()


def test_a_patient_finds_the_page_from_their_account(client, make_user, login_as):
    login_as(make_user())
    assert 'href="/account/password"' in client.get("/account").get_data(as_text=True)
    page = client.get("/account/password").get_data(as_text=True)
    assert "Current password" in page and "New password again" in page


def test_a_patient_changes_their_password_and_other_devices_are_signed_out(
    app, client, make_user, login_as
):
    patient = make_user()
    login_as(patient)
    laptop = app.test_client()
    sign_in(laptop, patient)

    response = change(client)
    assert response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200  # this browser stays signed in
    assert "Any other device is now signed out." in page.get_data(as_text=True)
    assert laptop.get("/account").status_code == 302  # the other one does not

    assert verify_password(stored_hash(app, patient), NEW)
    assert sign_in(app.test_client(), patient).status_code == 200  # the old one is refused
    assert sign_in(app.test_client(), patient, NEW).status_code == 302
    assert audited(app) == [("password_changed", patient.id, patient.id)]


def test_a_patient_who_ticked_remember_me_keeps_it_with_a_fresh_cookie(app, client, make_user):
    patient = make_user()
    sign_in(client, patient, remember=True)
    old_token = client.get_cookie("remember_token").value

    change(client)
    new_token = client.get_cookie("remember_token").value
    assert new_token != old_token
    for token, status in ((old_token, 302), (new_token, 200)):
        browser = app.test_client()
        browser.set_cookie("remember_token", token)
        assert browser.get("/account").status_code == status


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current": "not my password"}, "That is not your current password."),
        ({"new": "short", "confirm": "short"}, "Use at least 10 characters."),
        ({"confirm": "something else entirely"}, "The two new passwords are not the same."),
        ({"new": PASSWORD}, "Choose a password different from your current one."),
        ({"current": ""}, "This is required."),
    ],
)
def test_a_mistake_is_explained_and_nothing_changes(
    app, client, make_user, login_as, form, message
):
    patient = make_user()
    login_as(patient)
    before = stored_hash(app, patient)
    response = change(client, **form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_hash(app, patient) == before
    assert audited(app) == []
    assert client.get("/account").status_code == 200  # still signed in


def test_the_new_password_cannot_be_the_email(app, client, make_user, login_as):
    login_as(make_user(email="pat.example@example.com"))
    page = change(client, new="pat.example@example.com").get_data(as_text=True)
    assert "Your password cannot be your email address." in page


@pytest.mark.parametrize(
    ("role", "start"),
    [(Role.FRONT_DESK, "/staff/requests"), (Role.THERAPIST, "/schedule"), (Role.ADMIN, "/admin")],
)
def test_staff_reach_it_from_the_navigation_and_land_on_their_start_page(
    app, client, make_user, login_as, role, start
):
    member = make_user(role)
    login_as(member)
    assert 'href="/account/password"' in client.get(start).get_data(as_text=True)
    response = change(client)
    assert response.headers["Location"] == start
    assert client.get(start).status_code == 200
    assert client.get_cookie("remember_token") is None  # staff never get a lasting cookie
    assert audited(app) == [("password_changed", member.id, member.id)]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")
    assert change(client).status_code == 302


def test_guessing_the_current_password_is_rate_limited(make_app, make_user):
    from intake.extensions import limiter

    browser = make_app(RATELIMIT_ENABLED=True).test_client()
    limiter.reset()
    patient = make_user()
    assert sign_in(browser, patient).status_code == 302
    codes = [change(browser, current=f"guess number {n}").status_code for n in range(11)]
    assert codes == [200] * 10 + [429]
    limiter.reset()
