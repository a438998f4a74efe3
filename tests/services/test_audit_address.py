"""The audit trail names the address a staff action came from; work without a request, such
as the command line, comes from no address."""

from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, Provider, User
from intake.services import feed
from tests.conftest import PASSWORD

FRONT_OFFICE_PC = "203.0.113.7"


def addresses_of(app, action: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.ip_address)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def sign_in(client, email: str) -> None:
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_therapists_new_feed_address_is_audited_with_their_computers_address(app, clinic):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = FRONT_OFFICE_PC
    sign_in(browser, "ben@example.org")
    assert browser.post("/schedule/feed-token").status_code == 200
    assert addresses_of(app, "changed_feed_token") == [FRONT_OFFICE_PC]


def test_the_same_action_from_a_script_records_no_address(app, clinic):
    with app.app_context():
        provider = db.session.merge(clinic.provider)
        feed.new_token(provider, db.session.get(User, provider.user_id))
    assert addresses_of(app, "changed_feed_token") == [""]


def test_a_script_that_also_serves_a_request_does_not_borrow_its_address(app, clinic):
    # One app context around both, as a shell session or a test might keep: the request's
    # address ends with the request.
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = FRONT_OFFICE_PC
    with app.app_context():
        sign_in(browser, "ben@example.org")
        provider = db.session.get(Provider, clinic.provider.id)
        feed.new_token(provider, db.session.get(User, provider.user_id))
    assert addresses_of(app, "changed_feed_token") == [""]
    assert addresses_of(app, "login_succeeded") == [FRONT_OFFICE_PC]
