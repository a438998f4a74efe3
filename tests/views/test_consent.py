"""A patient reads the consent, acknowledges each risk, signs, keeps a copy, and may withdraw."""

import base64
import re
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from intake.domain.consent import ACKNOWLEDGEMENTS
from intake.extensions import db
from intake.models import ConsentWithdrawal, SignedConsent
from intake.permissions import Role

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 30
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def every_box() -> dict:
    return {f"ack_{a.key}": "y" for a in ACKNOWLEDGEMENTS}


def signing(version, **overrides) -> dict:
    return {
        "version_id": str(version.id),
        "typed_name": "Maria Lopez",
        "signature": SIGNATURE,
        "guardian_relationship": "",
        **every_box(),
        **overrides,
    }


def signed_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SignedConsent))


@pytest.fixture
def patient(make_user, make_intake, login_as):
    user = make_user(first_name="Maria", last_name="Lopez")
    make_intake(user)
    login_as(user)
    return user


def test_without_an_intake_the_patient_is_sent_to_fill_it_first(
    client, make_user, login_as, consent_v1
):
    login_as(make_user())
    response = client.get("/consent")
    assert response.headers["Location"] == "/intake"


def test_the_signing_page_shows_the_whole_text_and_a_box_per_risk(client, patient, consent_v1):
    page = client.get("/consent").get_data(as_text=True)
    for heading in (
        "About the procedure",
        "Common effects",
        "Uncommon effects",
        "Rare but serious risks",
        "No guarantee, other options and your rights",
        "How long this consent lasts",
    ):
        assert f"<h3>{heading}</h3>" in page  # under the page's own h1 and the text's title
    assert page.count("<h1") == 1, "the consent text's title is not a second h1"
    assert "pneumothorax" in page.lower()
    assert page.count('type="checkbox"') == len(ACKNOWLEDGEMENTS) == 6
    assert f'name="version_id" type="hidden" value="{consent_v1.id}"' in page
    assert "data-signature-pad hidden" in page  # the canvas only appears with JavaScript


def test_signing_stores_exactly_what_was_agreed(app, client, patient, consent_v1):
    response = client.post(
        "/consent",
        data=signing(consent_v1, typed_name="  maria LOPEZ "),
        headers={"User-Agent": "TestBrowser/1.0"},
    )
    assert response.status_code == 302
    with app.app_context():
        signed = db.session.scalars(select(SignedConsent)).one()
        assert response.headers["Location"] == f"/consent/{signed.id}"
        assert signed.patient_id == patient.id
        assert signed.version_id == consent_v1.id
        assert signed.text_sha256 == consent_v1.text_sha256
        assert signed.typed_name == "maria LOPEZ"
        assert signed.guardian_name is None
        assert signed.signature_png == PNG
        assert signed.acknowledged == sorted(a.key for a in ACKNOWLEDGEMENTS)
        assert signed.ip_address == "127.0.0.1"
        assert signed.user_agent == "TestBrowser/1.0"
        assert signed.signed_at.tzinfo is not None


def test_a_second_tap_on_sign_keeps_one_consent_and_shows_the_signed_copy(
    app, client, patient, consent_v1
):
    """A slow phone, a double tap or an old tab sends the form again: nothing more is signed,
    and the account does not list the same version as "Current" twice."""
    first = client.post("/consent", data=signing(consent_v1))
    again = client.post("/consent", data=signing(consent_v1))

    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert signed_count(app) == 1
    assert client.get("/account").get_data(as_text=True).count("Current") == 1
    # On the way to a booking, the second tap goes on to the booking as the first did.
    booking = "/book/ben/confirm?location=1&type=1&start=2030-01-07T15:00Z"
    on_the_way = client.post(f"/consent?next={quote(booking)}", data=signing(consent_v1))
    assert on_the_way.headers["Location"] == booking
    assert signed_count(app) == 1


def test_the_drawn_signature_is_optional(app, client, patient, consent_v1):
    assert client.post("/consent", data=signing(consent_v1, signature="")).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SignedConsent)).one().signature_png is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ack_serious": ""}, "Please tick to confirm you have read this part."),
        ({"typed_name": "Mario Lopez"}, "Type your full legal name as on your questionnaire"),
        ({"typed_name": ""}, "This is required."),
        ({"typed_name": "<b>Maria</b> Lopez"}, "Type your full legal name"),
        ({"signature": "data:image/png;base64,@@@"}, "could not be read"),
        ({"signature": "data:text/html;base64,PHNjcmlwdD4="}, "must be a PNG image"),
    ],
)
def test_a_refused_signature_says_why_and_stores_nothing(
    app, client, patient, consent_v1, overrides, message
):
    response = client.post("/consent", data=signing(consent_v1, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "<b>Maria</b>" not in page
    assert signed_count(app) == 0


@pytest.mark.parametrize("version_id", ["999", "abc", "", "-1"])
def test_a_tampered_version_id_is_refused(app, client, patient, consent_v1, version_id):
    page = client.post("/consent", data=signing(consent_v1, version_id=version_id))
    assert "This consent has been updated" in page.get_data(as_text=True)
    assert signed_count(app) == 0


def test_signing_a_version_that_is_no_longer_current_is_refused(app, client, patient, consent_v1):
    from intake.services.consents import publish_version

    with app.app_context():
        publish_version("2", "# Consent v2\n\nUpdated text.")
    page = client.post("/consent", data=signing(consent_v1))
    assert "This consent has been updated" in page.get_data(as_text=True)
    assert signed_count(app) == 0


def test_a_minor_needs_a_guardian_who_types_their_own_name(
    app, client, make_user, make_intake, login_as, consent_v1
):
    teen = make_user(first_name="Sam", last_name="Young")
    make_intake(
        teen,
        legal_first_name="Sam",
        legal_last_name="Young",
        born_on=date(date.today().year - 15, 1, 1).isoformat(),
    )
    login_as(teen)
    page = client.get("/consent").get_data(as_text=True)
    assert "is under 18" in page
    missing = client.post("/consent", data=signing(consent_v1, typed_name="Ann Young"))
    assert "A parent or legal guardian must sign" in missing.get_data(as_text=True)
    assert signed_count(app) == 0
    ok = client.post(
        "/consent", data=signing(consent_v1, typed_name="Ann Young", guardian_relationship="Mother")
    )
    assert ok.status_code == 302
    with app.app_context():
        signed = db.session.scalars(select(SignedConsent)).one()
        assert (signed.guardian_name, signed.guardian_relationship) == ("Ann Young", "Mother")


def test_the_printable_copy_shows_text_signature_time_and_hash(app, client, patient, consent_v1):
    location = client.post("/consent", data=signing(consent_v1)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Signed informed consent" in page
    assert consent_v1.text_sha256 in page
    assert "Rare but serious risks" in page
    assert re.search(r"at \d{1,2}:\d{2} [AP]M E[SD]T", page)  # the clinic's zone, not UTC
    signature_url = f"{location}/signature.png"
    assert f'src="{signature_url}"' in page
    image = client.get(signature_url)
    assert image.mimetype == "image/png"
    assert image.data == PNG
    assert image.headers["Cache-Control"] == "no-store"  # health data stays out of caches


def test_someone_elses_consent_is_a_404(app, client, patient, consent_v1, make_user, login_as):
    location = client.post("/consent", data=signing(consent_v1)).headers["Location"]
    client.post("/account/logout")
    login_as(make_user())
    assert client.get(location).status_code == 404
    assert client.get(f"{location}/signature.png").status_code == 404
    assert client.post(f"{location}/withdraw").status_code == 404
    assert client.get("/consent/987654").status_code == 404


def test_staff_can_open_a_signed_copy_and_anonymous_visitors_must_sign_in(
    client, patient, consent_v1, make_user, login_as
):
    location = client.post("/consent", data=signing(consent_v1)).headers["Location"]
    client.post("/account/logout")
    assert client.get(location).headers["Location"].startswith("/account/login")
    login_as(make_user(Role.FRONT_DESK))
    assert client.get(location).status_code == 200
    assert client.get("/consent").status_code == 403  # staff do not sign patient consents


def test_withdrawing_adds_a_record_and_leaves_the_consent_untouched(
    app, client, patient, consent_v1
):
    location = client.post("/consent", data=signing(consent_v1)).headers["Location"]
    response = client.post(f"{location}/withdraw", data={"reason": "Changed my mind"})
    assert response.headers["Location"] == "/account"
    assert "Withdrawn" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        withdrawal = db.session.scalars(select(ConsentWithdrawal)).one()
        assert withdrawal.reason == "Changed my mind"
        assert db.session.scalars(select(SignedConsent)).one().typed_name == "Maria Lopez"
    assert "Withdraw my consent" not in client.get(location).get_data(as_text=True)


def test_a_valid_consent_is_found_for_booking_until_withdrawn(app, client, patient, consent_v1):
    from intake.models import utcnow
    from intake.services.consents import valid_consent
    from intake.views.helpers import consent_max_age

    location = client.post("/consent", data=signing(consent_v1)).headers["Location"]
    with app.app_context():
        assert valid_consent(patient.id, utcnow(), consent_max_age()) is not None
    client.post(f"{location}/withdraw", data={"reason": ""})
    with app.app_context():
        assert valid_consent(patient.id, utcnow(), consent_max_age()) is None
