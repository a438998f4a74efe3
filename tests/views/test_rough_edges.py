"""What the page audits and a walk-through as a new patient on a phone found (issue 13): each
rough edge as the visitor meets it, fixed."""

import re

from intake.domain.geo import locate
from intake.extensions import db
from intake.permissions import Role
from intake.services.consents import publish_version


def test_a_form_sent_back_with_errors_says_error_in_its_title_and_focuses_its_summary(client):
    page = client.post("/account/login", data={}).get_data(as_text=True)
    assert re.search(r"<title>Error: Sign in", page)
    assert 'class="error-summary"' in page
    # The small static script that moves the focus is on patient pages too, not only staff ones.
    assert "/static/error-summary.js" in page
    assert "<title>Sign in" in client.get("/account/login").get_data(as_text=True)


def test_the_consent_form_shows_its_errors_above_the_text_under_one_h1(
    client, login_as, make_user, make_intake, consent_v1
):
    patient = make_user()
    make_intake(patient)
    login_as(patient)
    page = client.post("/consent", data={"version_id": str(consent_v1.id)}).get_data(as_text=True)
    assert page.index('class="error-summary"') < page.index('class="consent-text"')
    assert page.count("<h1") == 1
    assert "We updated our consent" not in page  # a first signature needs no reason


def test_a_patient_asked_to_sign_a_new_version_is_told_why(app, client, ready_patient, login_as):
    login_as(ready_patient())
    with app.app_context():
        version = publish_version("2", "# Consent\n\nThe new text.")
        db.session.expunge(version)
    page = client.get("/consent").get_data(as_text=True)
    assert "We updated our consent on" in page
    assert "please read and sign the new version" in page


def test_after_signing_the_outcome_and_account_pages_show_the_copy_not_a_call_to_sign(
    client, ready_patient, login_as
):
    login_as(ready_patient())
    for path in ("/intake/outcome", "/account"):
        page = client.get(path).get_data(as_text=True)
        assert "View or print my signed consent" in page, path
        assert "Read and sign the consent" not in page, path


def test_before_signing_the_outcome_page_asks_for_the_consent(
    client, login_as, make_user, make_intake, consent_v1
):
    patient = make_user()
    make_intake(patient)
    login_as(patient)
    assert "Read and sign the consent" in client.get("/intake/outcome").get_data(as_text=True)


def test_one_line_addresses_autocomplete_as_address_line1(client, login_as, make_user):
    login_as(make_user(Role.ADMIN))
    page = client.get("/admin/locations/new").get_data(as_text=True)
    assert 'autocomplete="address-line1"' in page and "street-address" not in page
    # A select that always holds a value has no `required` (HTML wants an empty first option).
    timezone = re.search(r"<select[^>]*name=\"timezone\"[^>]*>", page).group(0)
    assert "required" not in timezone


def test_a_day_that_is_no_date_is_not_put_back_into_the_date_input(
    client, login_as, make_user, clinic
):
    login_as(make_user(Role.FRONT_DESK))
    page = client.get(f"/staff/calendar?location={clinic.location.id}&date=2026-02-30").get_data(
        as_text=True
    )
    assert 'class="error-summary"' in page
    assert 'value="2026-02-30"' not in page


def test_show_free_times_lands_on_the_times(client, clinic):
    page = client.get(f"/book/ben?location={clinic.location.id}&type={clinic.type.id}").get_data(
        as_text=True
    )
    assert 'action="/book/ben#times"' in page
    assert 'id="times"' in page


def test_the_directory_reads_a_city_without_its_state_in_the_clinics_state(
    client, make_location, make_provider
):
    raleigh = make_location("27601", name="Raleigh Downtown", city="Raleigh")
    make_provider("Ada Raleigh", [raleigh], slug="ada")
    page = client.get("/providers?near=Raleigh").get_data(as_text=True)
    assert "Providers nearest to Raleigh, NC" in page
    # The clinic's own ZIP: no "0.0 miles".
    page = client.get("/providers?near=27601").get_data(as_text=True)
    assert "0.0 miles" not in page
    assert "Under 1 mile</strong> away, at Raleigh Downtown in Raleigh" in page


def test_a_bare_city_needs_a_home_state():
    assert locate("Raleigh", home_state="NC").label == "Raleigh, NC"
    assert locate("raleigh , nc").label == "Raleigh, NC"


def test_the_site_speaks_american_english(client, app):
    british = re.compile(r"specialis|practis|lymphoedema|judgement|colour", re.IGNORECASE)
    for path in ("/", "/dry-needling"):
        page = client.get(path).get_data(as_text=True)
        assert not british.findall(page), path
    assert "lymphedema" in client.get("/dry-needling").get_data(as_text=True)
