"""A patient creates an account, signs in and out, and resets a forgotten password."""

import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, User
from intake.passwords import hash_password, verify_password
from tests.conftest import PASSWORD
from tests.support.mailbox import deliver_outbox


def stored_user(app, email):
    with app.app_context():
        return db.session.scalars(select(User).where(User.email == email)).first()


def register(client, **overrides):
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": "Maria@Example.COM ",
        "password": "a long enough secret",
    } | overrides
    return client.post("/account/register", data=data)


def test_registering_signs_the_patient_in_and_sends_them_to_the_intake(app, client):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/intake"
    user = stored_user(app, "maria@example.com")  # normalised: trimmed and lower-cased
    assert user.role == "patient"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "short"}, "Use at least 10 characters."),
        ({"password": "maria@example.com"}, "cannot be your email address"),
        ({"email": "not-an-email"}, "Enter a valid email."),
        ({"first_name": ""}, "This is required."),
        ({"first_name": "x" * 101}, "Field cannot be longer than 100 characters."),
    ],
)
def test_registration_refuses_bad_input_and_keeps_what_was_typed(app, client, overrides, message):
    response = register(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert 'value="Lopez"' in page
    with app.app_context():
        assert db.session.scalars(select(User)).first() is None


def test_an_email_can_only_register_once(app, client, make_user):
    make_user(email="maria@example.com")
    page = register(client, email="MARIA@example.com").get_data(as_text=True)
    assert "An account with that email already exists." in page


@pytest.mark.parametrize(
    ("password", "told"),
    [("too short", "Use at least 10 characters."), ("x" * 201, "Use at most 200 characters.")],
)
def test_a_password_of_the_wrong_length_says_which_way_it_is_wrong(app, client, password, told):
    """A 300-character passphrase pasted from a manager is too long, not too short."""
    page = register(client, password=password).get_data(as_text=True)
    assert told in page
    assert stored_user(app, "maria@example.com") is None


def test_login_and_logout(client, make_user):
    user = make_user(email="pat@example.com")
    response = client.post(
        "/account/login", data={"email": "PAT@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account"
    assert "remember_token" not in response.headers.get("Set-Cookie", "")  # off by default
    assert client.get("/account").status_code == 200
    client.post("/account/logout")
    assert client.get("/account").status_code == 302
    assert user.email == "pat@example.com"


def test_remember_me_sets_a_lasting_cookie_only_when_asked(client, make_user):
    user = make_user()
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert "remember_token=" in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("password", ["wrong password!", ""])
def test_a_wrong_password_says_so_without_saying_which_part(client, make_user, password):
    user = make_user()
    page = client.post("/account/login", data={"email": user.email, "password": password})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "That email and password do not match an account." in text or "This is required." in text
    assert client.get("/account").status_code == 302


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client):
    page = client.post("/account/login", data={"email": "nobody@example.com", "password": "x" * 12})
    assert "That email and password do not match an account." in page.get_data(as_text=True)


def test_an_inactive_account_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/intake", "/intake"),
        ("/consent?x=1", "/consent?x=1"),
        ("https://evil.example/steal", "/account"),
        ("//evil.example", "/account"),
        ("/\\evil.example", "/account"),
        ("javascript:alert(1)", "/account"),
    ],
)
def test_after_login_next_is_followed_only_within_the_site(client, make_user, next_url, lands_on):
    user = make_user()
    response = client.post(
        "/account/login",
        query_string={"next": next_url},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == lands_on


def test_an_old_hash_is_upgraded_on_login(app, client, make_user):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = make_user(password_hash=weak)
    client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    upgraded = stored_user(app, user.email).password_hash
    assert upgraded != weak
    assert "m=65536" in upgraded
    assert verify_password(upgraded, PASSWORD)


# --- password reset -------------------------------------------------------------------------


def reset_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/account/reset-password/\S+)", body).group(1)


def queued(app) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
        ).all()


def test_reset_emails_a_working_single_use_link(app, client, make_user, smtp_server):
    user = make_user(email="pat@example.com", first_name="Pat")
    page = client.post("/account/reset-password", data={"email": "pat@example.com"})
    assert "If an account uses that address" in page.get_data(as_text=True)
    assert smtp_server.messages == []  # the request only queues it: no SMTP while they wait
    assert queued(app) == [("password_reset", "pat@example.com")]

    assert deliver_outbox(app).sent == 1
    [message] = smtp_server.messages
    assert message["To"] == "pat@example.com"
    assert message["Subject"].startswith("Reset your password")
    link = reset_link(message)

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "my brand new secret"})
    assert response.headers["Location"] == "/account/login"
    assert verify_password(stored_user(app, user.email).password_hash, "my brand new secret")

    again = client.post(link, data={"password": "another new secret"})
    assert again.status_code == 400
    assert "This link no longer works" in again.get_data(as_text=True)


def timed_reset(client, email: str):
    started = time.monotonic()
    response = client.post("/account/reset-password", data={"email": email})
    return response, time.monotonic() - started


def test_reset_answers_the_same_for_an_unknown_email(app, client, make_user, smtp_server):
    from intake.views.account import RESET_ANSWER_SECONDS

    make_user(email="pat@example.com")
    known, known_took = timed_reset(client, "pat@example.com")
    unknown, unknown_took = timed_reset(client, "who@example.com")
    # Both wait out the same floor, longer than queuing the mail takes.
    assert min(known_took, unknown_took) >= RESET_ANSWER_SECONDS
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    deliver_outbox(app)
    assert [m["To"] for m in smtp_server.messages] == ["pat@example.com"]


def test_an_inactive_account_gets_the_same_answer_and_no_mail(app, client, make_user):
    make_user(email="gone@example.com", active=False)
    inactive = client.post("/account/reset-password", data={"email": "gone@example.com"})
    unknown = client.post("/account/reset-password", data={"email": "who@example.com"})
    assert inactive.status_code == unknown.status_code == 200
    assert inactive.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert queued(app) == []


def test_the_reset_link_comes_from_the_base_url_whatever_host_the_request_names(
    make_app, make_user, smtp_server
):
    clinic = make_app(INTAKE_BASE_URL="https://book.example.org")
    clinic.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    make_user(email="pat@example.com")
    page = clinic.test_client().post(
        "/account/reset-password",
        data={"email": "pat@example.com"},
        headers={"Host": "clinic-login.attacker.example"},
    )
    assert page.status_code == 200
    deliver_outbox(clinic)
    [message] = smtp_server.messages
    body = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"\S+/account/reset-password/\S+", body)
    assert link.startswith("https://book.example.org/account/reset-password/")
    assert "attacker" not in body


def test_a_reset_link_expires_after_an_hour(app, client, make_user, smtp_server, monkeypatch):
    make_user(email="pat@example.com")
    client.post("/account/reset-password", data={"email": "pat@example.com"})
    deliver_outbox(app)
    link = reset_link(smtp_server.messages[0])

    def opened_after(seconds: int) -> int:
        # The signer reads its clock at both ends: move only the checking end forward.
        signed_clock = time.time()
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _: int(signed_clock) + seconds)
        return client.get(link).status_code

    assert opened_after(59 * 60) == 200  # within the hour: still good
    assert opened_after(60 * 60 + 5) == 400  # an hour and a moment later: expired


@pytest.mark.parametrize("token", ["garbage", "x" * 2000, "eyJ1c2VyIjoxfQ.forged.sig"])
def test_a_tampered_reset_link_is_refused(client, token):
    response = client.get(f"/account/reset-password/{token}")
    assert response.status_code == 400


def test_reset_page_still_answers_when_mail_is_down_and_the_mail_waits(
    app, client, make_user, smtp_server
):
    make_user(email="pat@example.com")
    working_port = smtp_server.port
    app.config.update(MAIL_PORT=1)  # nothing listens there
    page = client.post("/account/reset-password", data={"email": "pat@example.com"})
    assert page.status_code == 200
    assert "If an account uses that address" in page.get_data(as_text=True)
    assert deliver_outbox(app).retried == 1

    app.config.update(MAIL_PORT=working_port)
    with app.app_context():
        from datetime import timedelta

        from intake.models import utcnow
        from intake.services.outbox import deliver_due

        assert deliver_due(app.config, now=utcnow() + timedelta(minutes=2)).sent == 1
    assert smtp_server.messages[0]["To"] == "pat@example.com"


def test_login_is_rate_limited(make_app, make_user):
    from intake.extensions import limiter

    client = make_app(RATELIMIT_ENABLED=True).test_client()
    limiter.reset()
    user = make_user()
    codes = [
        client.post(
            "/account/login", data={"email": user.email, "password": "nope nope nope"}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10:] == [429, 429]


def test_one_account_is_limited_whatever_address_the_guesses_come_from(make_app, make_user):
    from intake.extensions import limiter

    client = make_app(RATELIMIT_ENABLED=True).test_client()
    limiter.reset()
    make_user(email="desk@example.org")
    spellings = ["desk@example.org", " Desk@Example.ORG"]
    codes = [
        client.post(
            "/account/login",
            # Spelled differently each time: the limit follows the account, not the text.
            data={"email": spellings[n % 2], "password": "x" * 12},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        ).status_code
        for n in range(11)
    ]
    assert codes == [200] * 10 + [429]
    # Another account from one of those addresses is not held back by it.
    other = make_user()
    response = client.post(
        "/account/login",
        data={"email": other.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.1"},
    )
    assert response.status_code == 302
    # Signing in successfully does not use up the account's allowance.
    for n in range(12):
        client.post("/account/logout")
        response = client.post(
            "/account/login",
            data={"email": other.email, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        assert response.status_code == 302, n
    limiter.reset()


def test_nobody_can_fill_one_inbox_with_reset_links_from_many_addresses(app, make_app, make_user):
    from intake.extensions import limiter

    client = make_app(RATELIMIT_ENABLED=True).test_client()
    limiter.reset()
    make_user(email="pat@example.com")
    codes = [
        client.post(
            "/account/reset-password",
            data={"email": "pat@example.com"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        ).status_code
        for n in range(6)
    ]
    assert codes == [200] * 5 + [429]
    assert len(queued(app)) == 5
    limiter.reset()


def test_the_rate_limit_key_never_holds_the_email():
    from intake.services.accounts import account_key

    key = account_key("Pat@Example.com ", "test-secret-key")
    assert key == account_key("pat@example.com", "test-secret-key")
    assert "pat" not in key and "example" not in key
    assert key != account_key("pam@example.com", "test-secret-key")
    # Keyed: without the clinic's secret, nobody can work the address back from a guess.
    assert key != account_key("pat@example.com", "another-secret")


def test_passwords_are_argon2id_hashes():
    digest = hash_password("a long enough secret")
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(digest, "a long enough secret")
    assert not verify_password(digest, "a long enough secreT")
