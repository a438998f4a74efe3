"""Staff sign-ins: audited, and ended after 15 idle minutes or 12 hours, saying why."""

import re
import time

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent
from intake.permissions import Role
from intake.sessions import SEEN_AT, SEEN_AT_GRAIN_SECONDS, SIGNED_IN_AT
from tests.conftest import PASSWORD
from tests.views.test_sessions_end import token_on


def shift_session(client, **seconds_ago):
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = time.time() - ago


@pytest.fixture
def front_desk(make_user, login_as):
    user = make_user(Role.FRONT_DESK, email="desk@example.org")
    login_as(user)
    return user


def test_an_active_staff_session_carries_on_and_each_page_restarts_the_idle_clock(
    client, front_desk
):
    shift_session(client, seen_at=14 * 60)
    before = time.time()
    assert client.get("/staff/requests").status_code == 200  # still signed in
    with client.session_transaction() as session:
        assert session["seen_at"] >= before  # the 14 idle minutes start again from now
    # So 14 more minutes later the session still carries on.
    shift_session(client, seen_at=14 * 60)
    assert client.get("/staff/requests").status_code == 200


def test_pages_seconds_apart_leave_the_session_cookie_as_it_is(client, front_desk):
    """The idle clock restarts at most every SEEN_AT_GRAIN_SECONDS: no cookie re-signed and
    sent with every page."""
    client.get("/staff/requests")  # the session's CSRF token is written once, here
    shift_session(client, seen_at=SEEN_AT_GRAIN_SECONDS - 5)
    with client.session_transaction() as session:
        seen = session[SEEN_AT]
    response = client.get("/staff/requests")
    assert response.status_code == 200
    assert "session=" not in response.headers.get("Set-Cookie", "")
    with client.session_transaction() as session:
        assert session[SEEN_AT] == seen
    shift_session(client, seen_at=SEEN_AT_GRAIN_SECONDS + 5)
    assert "session=" in client.get("/staff/requests").headers.get("Set-Cookie", "")


def test_fifteen_idle_minutes_end_a_staff_session_and_say_why(client, front_desk):
    shift_session(client, seen_at=16 * 60)
    response = client.get("/providers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 15 minutes without activity" in page
    assert client.get("/consent/1").status_code == 302  # really signed out


def test_twelve_hours_is_the_longest_staff_session(client, front_desk):
    shift_session(client, signed_in_at=12 * 3600 + 60, seen_at=60)
    response = client.get("/providers")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "staff sessions end after 12 hours" in page


def test_the_idle_limit_is_configurable(app, client, front_desk):
    app.config["INTAKE_STAFF_IDLE_MINUTES"] = 5
    shift_session(client, seen_at=6 * 60)
    assert client.get("/providers").status_code == 302


def test_patients_are_not_timed_out_like_staff(client, make_user, login_as):
    login_as(make_user())
    shift_session(client, seen_at=3 * 3600)
    assert client.get("/account").status_code == 200


def test_staff_never_get_a_remember_me_cookie(client, make_user):
    user = make_user(Role.FRONT_DESK)
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert "remember_token=" not in response.headers.get("Set-Cookie", "")
    with client.session_transaction() as session:
        assert session[SIGNED_IN_AT] == session[SEEN_AT]


def test_sign_ins_and_failures_are_audited_without_the_typed_text(app, client, make_user):
    user = make_user(Role.FRONT_DESK, email="desk@example.org")
    client.post("/account/login", data={"email": "desk@example.org", "password": "wrong one!!"})
    client.post("/account/login", data={"email": "ghost@example.org", "password": "wrong one!!"})
    client.post("/account/login", data={"email": "desk@example.org", "password": PASSWORD})
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_id).order_by(AuditEvent.id)
        ).all()
    assert rows == [("login_failed", user.id), ("login_failed", None), ("login_succeeded", user.id)]


def test_each_role_lands_on_its_own_start_page(client, make_user):
    landing = {
        Role.FRONT_DESK: "/staff/requests",
        Role.THERAPIST: "/schedule",
        Role.ADMIN: "/admin",
        Role.PATIENT: "/account",
    }
    for role, path in landing.items():
        user = make_user(role)
        response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == path, role
        client.post("/account/logout")


# --- "Stay signed in": the warning before the idle limit, and what answers it ----------------


def idle_warning(page: str) -> dict[str, str]:
    box = re.search(r'<div class="notice idle-warning" id="idle-warning"[^>]*>', page)
    assert box, "no idle warning on the page"
    return dict(re.findall(r'data-(idle-[a-z]+)="([^"]*)"', box[0]))


def test_a_staff_page_says_how_long_its_session_has_left_before_the_idle_limit(client, front_desk):
    shift_session(client, seen_at=SEEN_AT_GRAIN_SECONDS - 10)  # too recent to restart
    page = client.get("/staff/requests").get_data(as_text=True)
    warning = idle_warning(page)
    assert warning["idle-seconds"] == str(15 * 60)
    left = int(warning["idle-left"])
    assert 15 * 60 - SEEN_AT_GRAIN_SECONDS <= left <= 15 * 60 - SEEN_AT_GRAIN_SECONDS + 12
    assert 'action="/account/still-here"' in page
    assert "Stay signed in" in page and 'src="/static/idle.js"' in page


def test_stay_signed_in_restarts_the_idle_clock_and_leaves_the_page(client, front_desk):
    shift_session(client, seen_at=14 * 60)
    before = time.time()
    response = client.post("/account/still-here")
    assert response.status_code == 204 and response.get_data() == b""
    with client.session_transaction() as session:
        assert session[SEEN_AT] >= before
    # 14 more minutes later the session carries on: the 15 started again at the click.
    shift_session(client, seen_at=14 * 60)
    assert client.get("/staff/requests").status_code == 200


def test_stay_signed_in_cannot_bring_back_an_ended_session(client, front_desk):
    shift_session(client, seen_at=16 * 60)
    response = client.post("/account/still-here")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login"
    assert client.get("/staff/requests").status_code == 302  # still signed out


def test_stay_signed_in_needs_a_signed_in_user(client):
    response = client.post("/account/still-here")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


def test_patient_pages_have_no_idle_warning_and_stay_signed_in_changes_nothing(
    client, make_user, login_as
):
    login_as(make_user())
    assert "idle-warning" not in client.get("/account").get_data(as_text=True)
    with client.session_transaction() as session:
        seen = session.get(SEEN_AT)
    assert client.post("/account/still-here").status_code == 204
    with client.session_transaction() as session:
        assert session.get(SEEN_AT) == seen


def test_stay_signed_in_takes_only_this_sessions_token_however_old_its_page(make_app, make_user):
    """A note written for hours on one page: its token is past the forms' time limit, but
    staying signed in must still work; a token this session was not given never does."""
    app = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=1)
    client = app.test_client()
    desk = make_user(Role.FRONT_DESK)
    login_page = client.get("/account/login").get_data(as_text=True)
    data = {"email": desk.email, "password": PASSWORD, "csrf_token": token_on(login_page)}
    assert client.post("/account/login", data=data).status_code == 302
    page = client.get("/staff/requests").get_data(as_text=True)
    # Seen moments ago: within the grain, so no request but an accepted one restarts it.
    shift_session(client, seen_at=SEEN_AT_GRAIN_SECONDS - 5)
    with client.session_transaction() as session:
        seen = session[SEEN_AT]

    assert client.post("/account/still-here").status_code == 400
    assert client.post("/account/still-here", data={"csrf_token": "made-up"}).status_code == 400
    with client.session_transaction() as session:
        assert session[SEEN_AT] == seen

    time.sleep(2.1)  # past the one-second limit of this app's form tokens
    response = client.post("/account/still-here", data={"csrf_token": token_on(page)})
    assert response.status_code == 204
    with client.session_transaction() as session:
        assert session[SEEN_AT] > seen + SEEN_AT_GRAIN_SECONDS - 5
