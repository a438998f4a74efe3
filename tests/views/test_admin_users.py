"""An admin invites staff by email, changes roles, deactivates; never locks themselves out."""

import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, OutboxMessage, User, utcnow
from intake.permissions import Role
from intake.services.outbox import deliver_due
from tests.support.mailbox import deliver_outbox
from tests.support.smtp import free_port


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN, first_name="Ada", last_name="Admin")
    login_as(user)
    return user


def newcomer(**overrides) -> dict:
    return {
        "first_name": "Dana",
        "last_name": "Reyes",
        "email": "Dana.Reyes@Example.org",
        "role": "front_desk",
    } | overrides


def user_by_email(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is not None:
            db.session.expunge(user)
        return user


def set_password_path(message) -> str:
    link = re.search(r"https?://\S+/account/reset-password/\S+", message.get_content())
    return link.group(0).split("localhost", 1)[1]


def outbox_kinds(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(OutboxMessage.kind)).all()


def audited_users(app) -> list[int]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "admin_change", AuditEvent.object_type == "user"
            )
        ).all()


def test_an_invited_therapist_sets_a_password_from_the_email_and_signs_in(
    app, client, admin, smtp_server
):
    response = client.post("/admin/users/invite", data=newcomer(role="therapist"))
    dana = user_by_email(app, "dana.reyes@example.org")
    assert dana.role == "therapist" and dana.active
    assert response.headers["Location"] == f"/admin/users/{dana.id}"
    assert "is invited" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audited_users(app) == [dana.id]

    assert smtp_server.messages == []  # queued with the account, sent by the outbox worker
    assert deliver_outbox(app).sent == 1
    [message] = smtp_server.messages
    assert message["X-Envelope-To"] == "dana.reyes@example.org"
    assert "with the therapist role" in message.get_content()

    invitee = app.test_client()
    path = set_password_path(message)
    assert invitee.get(path).status_code == 200
    response = invitee.post(path, data={"password": "my own new secret"})
    assert response.headers["Location"] == "/account/login"
    assert invitee.get(path).status_code == 400  # the link works once
    response = invitee.post(
        "/account/login", data={"email": "dana.reyes@example.org", "password": "my own new secret"}
    )
    assert response.headers["Location"] == "/schedule"


def test_when_the_mail_is_down_the_invitation_waits_and_can_be_resent(
    app, client, admin, smtp_server
):
    from datetime import timedelta

    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    page = client.post("/admin/users/invite", data=newcomer(), follow_redirects=True).get_data(
        as_text=True
    )
    assert "is invited: we are emailing them a link" in page
    assert "Resend invitation" in page
    dana = user_by_email(app, "dana.reyes@example.org")
    assert dana is not None
    assert deliver_outbox(app).retried == 1 and smtp_server.messages == []

    app.config["MAIL_PORT"] = working_port
    page = client.post(f"/admin/users/{dana.id}/resend", follow_redirects=True).get_data(
        as_text=True
    )
    assert "We are emailing dana.reyes@example.org a new link" in page
    with app.app_context():  # the new link now, the first one when its retry is due
        assert deliver_due(app.config).sent == 1
        assert deliver_due(app.config, now=utcnow() + timedelta(minutes=2)).sent == 1
    resent, retried = (set_password_path(m) for m in smtp_server.messages)
    assert app.test_client().get(resent).status_code == 200
    assert app.test_client().get(retried).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email."),
        ({"email": "admin@example.org"}, "An account with that email already exists."),
        ({"role": "patient"}, "Choose one of the roles listed."),
        ({"first_name": ""}, "This is required."),
    ],
)
def test_an_invitation_with_a_mistake_is_explained_and_nothing_created(
    app, client, make_user, login_as, smtp_server, overrides, message
):
    login_as(make_user(Role.ADMIN, email="admin@example.org"))
    page = client.post("/admin/users/invite", data=newcomer(**overrides)).get_data(as_text=True)
    assert message in page
    assert 'value="Reyes"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert outbox_kinds(app) == [] and audited_users(app) == []


def test_the_staff_list_shows_staff_and_never_patients(client, admin, make_user):
    make_user(Role.THERAPIST, first_name="Ben", email="ben@example.org")
    make_user(Role.FRONT_DESK, first_name="Dana", email="dana@example.org", active=False)
    make_user(Role.PATIENT, first_name="Maria", email="maria@example.org")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "ben@example.org" in page and "Therapist" in page
    assert "dana@example.org" in page and "Deactivated" in page
    assert "maria@example.org" not in page


def test_a_patient_cannot_be_reached_through_the_staff_pages(app, client, admin, make_user):
    patient = make_user(Role.PATIENT)
    assert client.get(f"/admin/users/{patient.id}").status_code == 404
    assert client.post(f"/admin/users/{patient.id}/role", data={"role": "admin"}).status_code == 404
    assert client.post(f"/admin/users/{patient.id}/deactivate").status_code == 404
    assert client.get("/admin/users/9999").status_code == 404
    assert user_by_email(app, patient.email).role == "patient"


def test_an_admin_changes_a_role(app, client, admin, make_user):
    dana = make_user(Role.FRONT_DESK)
    response = client.post(f"/admin/users/{dana.id}/role", data={"role": "therapist"})
    assert response.status_code == 302
    assert user_by_email(app, dana.email).role == "therapist"
    assert audited_users(app) == [dana.id]


def test_an_admin_cannot_demote_or_deactivate_themselves(app, client, admin):
    page = client.post(f"/admin/users/{admin.id}/role", data={"role": "front_desk"}).get_data(
        as_text=True
    )
    assert "You cannot take away your own admin role." in page
    page = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True).get_data(
        as_text=True
    )
    assert "You cannot deactivate your own account." in page
    me = user_by_email(app, admin.email)
    assert (me.role, me.active) == ("admin", True)
    assert audited_users(app) == []


def test_a_therapist_with_a_profile_cannot_become_front_desk(app, client, admin, make_provider):
    provider = make_provider()
    page = client.post(
        f"/admin/users/{provider.user_id}/role", data={"role": "front_desk"}
    ).get_data(as_text=True)
    assert "has a provider profile" in page
    with app.app_context():
        assert db.session.get(User, provider.user_id).role == "therapist"


def test_a_deactivated_member_cannot_sign_in_until_reactivated(app, client, admin, make_user):
    ben = make_user(Role.THERAPIST)
    client.post(f"/admin/users/{ben.id}/deactivate")
    other = app.test_client()
    credentials = {"email": ben.email, "password": "correct horse battery"}
    assert other.post("/account/login", data=credentials).status_code == 200  # refused
    client.post(f"/admin/users/{ben.id}/reactivate")
    assert other.post("/account/login", data=credentials).status_code == 302
    assert audited_users(app) == [ben.id, ben.id]


def test_html_in_a_staff_name_is_shown_as_text(client, admin, smtp_server):
    client.post("/admin/users/invite", data=newcomer(first_name="<i>Dana</i>"))
    page = client.get("/admin/users").get_data(as_text=True)
    assert "&lt;i&gt;Dana&lt;/i&gt;" in page and "<i>Dana</i>" not in page


def test_an_invitation_link_lasts_three_days_but_a_reset_link_one_hour(app, make_user):
    import time
    from unittest import mock

    from intake.config import current_settings
    from intake.services import accounts

    user = make_user()
    with app.test_request_context():
        from intake.extensions import db as database

        staff = database.session.merge(user)
        settings = current_settings()
        invitation = accounts.invitation_token(staff, settings)
        reset = accounts.reset_token(staff, settings)
        two_hours_later = time.time() + 2 * 3600
        with mock.patch("itsdangerous.timed.time.time", return_value=two_hours_later):
            assert accounts.user_for_reset_token(invitation, settings).id == user.id
            assert accounts.user_for_reset_token(reset, settings) is None


def test_deactivated_staff_lose_their_open_session(app, client, make_user, login_as):
    from intake.extensions import db as database
    from intake.models import User
    from intake.permissions import Role

    desk = make_user(Role.FRONT_DESK)
    login_as(desk)
    assert client.get("/staff/requests").status_code == 200
    with app.app_context():
        database.session.get(User, desk.id).active = False
        database.session.commit()
    assert client.get("/staff/requests").status_code == 302  # back to the sign-in page


def test_deactivating_a_therapist_with_visits_ahead_says_who_must_move_them(
    app, client, admin, clinic, make_user, make_appointment
):
    """The account stops signing in at once, but its booked visits stay: the admin is told
    how many, before and after, with the queue of that provider one link away."""
    from datetime import timedelta

    from intake.models import AppointmentStatus

    therapist_id = clinic.provider.user_id
    patient, now = make_user(), utcnow()
    for days, status in [(2, "requested"), (3, "confirmed"), (4, "cancelled"), (-2, "confirmed")]:
        starts, status = now + timedelta(days=days), AppointmentStatus(status)
        make_appointment(patient, clinic.provider, clinic.location, clinic.type, starts, status)

    page = client.get(f"/admin/users/{therapist_id}").get_data(as_text=True)
    assert "2 visits are booked with Ben" in page  # not the cancelled one, nor the past one
    assert "Deactivating the account does not move or cancel them." in page
    assert f"/staff/requests?provider={clinic.provider.id}&amp;status=all&amp;from=" in page

    response = client.post(f"/admin/users/{therapist_id}/deactivate", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2 visits are still booked with Ben" in page
    assert "The account is deactivated: these visits still wait for them." in page


def test_a_member_without_visits_ahead_gets_no_warning(client, admin, make_user):
    desk = make_user(Role.FRONT_DESK)
    response = client.post(f"/admin/users/{desk.id}/deactivate", follow_redirects=True)
    assert "still booked" not in response.get_data(as_text=True)
    assert "booked with" not in client.get(f"/admin/users/{desk.id}").get_data(as_text=True)
