"""Behind the clinic's reverse proxy, patients are told apart by their own addresses."""

import pytest
from sqlalchemy import select

from intake.config import UnsafeConfig
from intake.extensions import db
from intake.models import AuditEvent, SignedConsent
from tests.conftest import PASSWORD
from tests.views.test_consent import signing

PROXY = "10.0.0.2"


def behind_the_proxy(app, client_address: str):
    """A browser at client_address whose requests reach the app through the proxy."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
    return client


def recorded_addresses(app, model) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(model.ip_address).order_by(model.id)))


def wrong_password(client, n: int) -> int:
    data = {"email": f"guess{n}@example.com", "password": "not the password"}
    return client.post("/account/login", data=data).status_code


def test_sign_in_and_a_signed_consent_record_the_patients_own_address(
    make_app, make_user, make_intake, consent_v1
):
    app = make_app(INTAKE_PROXY_HOPS=1)
    patient = make_user()
    make_intake(patient)
    browser = behind_the_proxy(app, "203.0.113.7")
    signed_in = browser.post("/account/login", data={"email": patient.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert browser.post("/consent", data=signing(consent_v1)).status_code == 302
    assert recorded_addresses(app, AuditEvent) == ["203.0.113.7"]
    assert recorded_addresses(app, SignedConsent) == ["203.0.113.7"]


def test_without_a_declared_proxy_the_header_is_ignored(make_app, make_user):
    # Anyone can send X-Forwarded-For; trusted only when INTAKE_PROXY_HOPS says a proxy sets it.
    app = make_app()
    patient = make_user()
    spoofer = behind_the_proxy(app, "198.51.100.99")
    spoofer.post("/account/login", data={"email": patient.email, "password": PASSWORD})
    assert recorded_addresses(app, AuditEvent) == [PROXY]


def test_two_patients_behind_one_proxy_have_their_own_login_limits(make_app):
    app = make_app(INTAKE_PROXY_HOPS=1, RATELIMIT_ENABLED=True)
    guesser = behind_the_proxy(app, "203.0.113.7")
    neighbour = behind_the_proxy(app, "203.0.113.8")
    assert [wrong_password(guesser, n) for n in range(11)] == [200] * 10 + [429]
    assert wrong_password(neighbour, 11) == 200


def test_a_spoofed_header_does_not_buy_a_fresh_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    attempts = [wrong_password(behind_the_proxy(app, f"198.51.100.{n}"), n) for n in range(11)]
    assert attempts == [200] * 10 + [429]


def test_https_reported_by_the_proxy_counts_only_from_a_declared_proxy(make_app):
    https_at_proxy = {"X-Forwarded-Proto": "https"}
    behind = make_app(INTAKE_HTTPS=True, INTAKE_PROXY_HOPS=1).test_client()
    page = behind.get("/", headers=https_at_proxy)
    assert page.status_code == 200
    assert "Strict-Transport-Security" in page.headers
    direct = make_app(INTAKE_HTTPS=True).test_client()
    assert direct.get("/", headers=https_at_proxy).status_code == 301


def test_the_proxy_cannot_choose_the_host_we_send_browsers_to(make_app):
    # Links come from INTAKE_BASE_URL; the one URL built from the request must not follow
    # X-Forwarded-Host either.
    client = make_app(INTAKE_HTTPS=True, INTAKE_PROXY_HOPS=1).test_client()
    moved = client.get("/providers", headers={"X-Forwarded-Host": "clinic.attacker.example"})
    assert moved.headers["Location"] == "https://localhost/providers"


@pytest.mark.parametrize("hops", [-1, "two", 1.5])
def test_a_hop_count_that_is_not_a_count_stops_the_start(make_app, hops):
    with pytest.raises(UnsafeConfig, match="INTAKE_PROXY_HOPS"):
        make_app(INTAKE_PROXY_HOPS=hops)
