"""A cookie copied before sign-out, a reset, a role change or deactivation opens nothing after."""

import re
import time

import pytest

from intake.permissions import Role
from tests.conftest import PASSWORD
from tests.support.mailbox import deliver_outbox


def sign_in(client, user, remember=False):
    data = {"email": user.email, "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/account/login", data=data).status_code == 302
    return client


def copied(client, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie to copy"
    return cookie.value


def replay(app, **cookies):
    """A browser of the thief's, holding only the copied cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def signed_out(client, path: str) -> bool:
    response = client.get(path)
    return response.status_code == 302 and response.headers["Location"].startswith("/account/login")


def test_a_session_cookie_copied_before_sign_out_replays_as_signed_out(app, client, make_user):
    sign_in(client, make_user())
    session = copied(client, "session")
    assert replay(app, session=session).get("/account").status_code == 200  # it did work

    client.post("/account/logout")
    assert signed_out(replay(app, session=session), "/account")


def test_a_remember_me_cookie_alone_dies_at_sign_out(app, client, make_user):
    sign_in(client, make_user(), remember=True)
    token = copied(client, "remember_token")
    assert replay(app, remember_token=token).get("/account").status_code == 200  # it did work

    client.post("/account/logout")
    assert signed_out(replay(app, remember_token=token), "/account")


def test_a_staff_cookie_copied_before_sign_out_replays_as_signed_out(app, client, make_user):
    sign_in(client, make_user(Role.FRONT_DESK))
    session = copied(client, "session")
    assert replay(app, session=session).get("/staff/requests").status_code == 200

    client.post("/account/logout")
    assert signed_out(replay(app, session=session), "/staff/requests")


def token_on(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)[1]


def test_sign_out_from_a_page_left_open_past_the_forms_time_limit_still_signs_out(
    make_app, make_user
):
    """A phone's tab left open overnight: its forms' tokens have expired, but "Sign out" must
    still end the session rather than answer "This form has expired" and leave it open."""
    app = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=1)
    client = app.test_client()
    user = make_user()
    login_page = client.get("/account/login").get_data(as_text=True)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token_on(login_page)}
    assert client.post("/account/login", data=data).status_code == 302
    account_page = client.get("/account").get_data(as_text=True)

    # A token not given to this session is still refused, and signs nobody out.
    refused = client.post("/account/logout", data={"csrf_token": "made-up"})
    assert refused.status_code == 400
    assert client.get("/account").status_code == 200

    time.sleep(2.1)  # past the one-second limit of this app's form tokens
    response = client.post("/account/logout", data={"csrf_token": token_on(account_page)})

    assert response.status_code == 302
    assert signed_out(client, "/account")


def test_signing_out_on_one_computer_signs_out_the_other(app, make_user):
    desk = make_user(Role.FRONT_DESK)
    reception, back_office = sign_in(app.test_client(), desk), sign_in(app.test_client(), desk)
    assert back_office.get("/staff/requests").status_code == 200

    reception.post("/account/logout")
    assert signed_out(back_office, "/staff/requests")
    assert signed_out(reception, "/staff/requests")


def test_a_password_reset_ends_the_sessions_and_remember_me_from_before(
    app, client, make_user, smtp_server
):
    patient = make_user(email="pat@example.com")
    sign_in(client, patient, remember=True)
    session, token = copied(client, "session"), copied(client, "remember_token")

    app.test_client().post("/account/reset-password", data={"email": "pat@example.com"})
    deliver_outbox(app)
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    link = re.search(r"http://localhost(/account/reset-password/\S+)", body).group(1)
    assert replay(app, session=session).get("/account").status_code == 200  # not yet
    app.test_client().post(link, data={"password": "a new secret of mine"})

    assert signed_out(replay(app, session=session), "/account")
    assert signed_out(replay(app, remember_token=token), "/account")
    assert signed_out(client, "/account")


@pytest.mark.parametrize(
    ("change", "data"),
    [("role", {"role": "therapist"}), ("deactivate", {})],
)
def test_an_admin_changing_a_role_or_deactivating_ends_that_members_sessions(
    app, make_user, change, data
):
    admin = sign_in(app.test_client(), make_user(Role.ADMIN))
    member = make_user(Role.FRONT_DESK)
    desk = sign_in(app.test_client(), member)
    assert desk.get("/staff/requests").status_code == 200

    assert admin.post(f"/admin/users/{member.id}/{change}", data=data).status_code == 302
    assert signed_out(desk, "/staff/requests")
    assert admin.get("/admin/users").status_code == 200  # the admin's own session goes on


def test_reactivating_an_account_does_not_revive_its_old_cookies(app, make_user):
    admin = sign_in(app.test_client(), make_user(Role.ADMIN))
    member = make_user(Role.THERAPIST)
    therapist = sign_in(app.test_client(), member)
    session = copied(therapist, "session")

    admin.post(f"/admin/users/{member.id}/deactivate")
    admin.post(f"/admin/users/{member.id}/reactivate")
    assert signed_out(replay(app, session=session), "/schedule")
    assert sign_in(app.test_client(), member).get("/schedule").status_code == 200


def test_a_cookie_from_before_versions_names_nobody(app, make_user):
    """A session made by the old code held the bare id: it no longer signs anyone in."""
    patient = make_user()
    old = app.test_client()
    with old.session_transaction() as session:
        session["_user_id"] = str(patient.id)
        session["_fresh"] = True
    assert signed_out(old, "/account")


def test_staff_ticking_remember_me_get_no_lasting_cookie(client, make_user):
    response = client.post(
        "/account/login",
        data={"email": make_user(Role.THERAPIST).email, "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None


def test_under_https_the_remember_me_cookie_is_secure_and_http_only(make_app, make_user):
    secure = make_app(INTAKE_HTTPS=True).test_client()
    user = make_user()
    response = secure.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
    )
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c]
    assert "; Secure" in cookie and "; HttpOnly" in cookie


def test_without_https_the_remember_me_cookie_still_hides_from_scripts(client, make_user):
    response = client.post(
        "/account/login",
        data={"email": make_user().email, "password": PASSWORD, "remember": "y"},
    )
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c]
    assert "; HttpOnly" in cookie and "; Secure" not in cookie


@pytest.mark.parametrize("user_id", ["", "1", "1:x", "x:0", "²:0", "99999999999999:0", "1:0:0"])
def test_a_session_naming_no_valid_id_is_simply_signed_out(app, make_user, user_id):
    make_user()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = user_id
    assert signed_out(browser, "/account")
