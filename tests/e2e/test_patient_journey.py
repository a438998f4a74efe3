"""Maria, on her phone, creates an account, answers the questionnaire and signs the consent."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from intake.domain.consent import ACKNOWLEDGEMENTS, PNG_MAGIC
from intake.domain.questionnaire import BODY_REGIONS, PAIN_CHARACTERS
from intake.domain.screening import RULES, rule_for
from intake.extensions import db
from intake.models import SignedConsent
from tests.support.answers import form_answers

PASSWORD = "a calf that hurts on hills"
BLOOD_THINNERS = rule_for("anticoagulants")
PREGNANCY = rule_for("pregnancy")
# What the patient reads next to each box she types in (exact labels: "Phone" is not "Name").
TYPED = {
    "legal_first_name": "Legal first name",
    "legal_last_name": "Legal last name",
    "born_on": "Date of birth",
    "phone": "Mobile or main phone",
    "email": "Email",
    "address": "Street address",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP code",
    "emergency_name": "Name",
    "emergency_relationship": "Relationship to you",
    "emergency_phone": "Phone",
    "reason": "What brings you in?",
    "pain_now": "Pain right now (0-10)",
    "pain_worst": "Worst pain in the last 24 hours (0-10)",
    "pain_least": "Least pain in the last 24 hours (0-10)",
    "better": "What makes it better?",
    "worse": "What makes it worse?",
    "daily_life": "How does it affect your daily life?",
    "goals": "What would you like to get back to?",
    "medications": "Medicines you take (optional)",
}
CHOSEN = {
    "sex": "Sex",
    "duration": "How long have you had it?",
    "onset": "How did it start?",
    "referral_source": "How did you hear about us?",
}


def answer_the_questionnaire(page, answers: dict) -> None:
    for name, label in TYPED.items():
        page.get_by_label(label, exact=True).fill(answers[name])
    for name, label in CHOSEN.items():
        page.get_by_label(label, exact=True).select_option(answers[name])
    regions = dict(BODY_REGIONS)
    for area in answers["pain_areas"]:
        region, side = area.split(":")
        page.get_by_label(f"{regions[region]}, {side.capitalize()}", exact=True).check()
    feelings = dict(PAIN_CHARACTERS)
    for feeling in answers["pain_character"]:
        page.get_by_label(feelings[feeling], exact=True).check()
    dry_needled = page.get_by_role("group", name="Have you had dry needling before?")
    dry_needled.get_by_label(answers["prior_dry_needling"].capitalize(), exact=True).check()
    for rule in RULES:
        question = page.get_by_role("group", name=rule.question, exact=True)
        question.get_by_label(answers[rule.key].capitalize(), exact=True).check()


def sign_with_a_finger(page) -> None:
    pad = page.get_by_label("Draw your signature (optional)")
    expect(pad).to_be_visible()  # hidden without JavaScript; signature.js reveals it
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.1, top + height * 0.6)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(left + width * (0.1 + 0.1 * step), top + height * (0.3 + 0.1 * (step % 3)))
    page.mouse.up()


def test_maria_registers_answers_the_questionnaire_and_signs_the_consent(
    app, live_server, phone, consent_v1, screenshot
):
    page = phone
    answers = form_answers(
        email="maria.lopez@example.com",
        medications="Apixaban 5 mg twice a day",
        anticoagulants="yes",
        anticoagulants_detail="Apixaban",
    )

    # 1. She creates her account and is taken straight to the questionnaire.
    page.goto(live_server + "/account/register")
    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Last name").fill("Lopez")
    page.get_by_label("Email").fill(answers["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your health questionnaire")
    assert page.url == live_server + "/intake"

    # 2. She answers every question; "yes" to blood thinners opens a box to say which.
    blood_thinners = page.get_by_role("group", name=BLOOD_THINNERS.question)
    which_medicine = blood_thinners.get_by_label(BLOOD_THINNERS.detail_prompt)
    expect(which_medicine).to_be_attached()
    expect(which_medicine).to_be_hidden()
    answer_the_questionnaire(page, answers)
    expect(which_medicine).to_be_visible()
    which_medicine.fill(answers["anticoagulants_detail"])
    pregnant = page.get_by_role("group", name=PREGNANCY.question)
    assert pregnant.get_by_label("No", exact=True).is_checked()
    how_many_weeks = pregnant.get_by_label(PREGNANCY.detail_prompt)
    expect(how_many_weeks).to_be_attached()
    expect(how_many_weeks).to_be_hidden()
    screenshot(page, "intake")
    page.get_by_role("button", name="Save my answers").click()
    expect(
        page.get_by_role("heading", name="Your therapist will review your answers")
    ).to_be_visible()
    screenshot(page, "outcome")

    # 3. She reads the consent, ticks each part, types her name and signs with her finger.
    page.get_by_role("link", name="Read and sign the consent").click()
    expect(page.get_by_role("heading", name="Rare but serious risks")).to_be_visible()
    for acknowledgement in ACKNOWLEDGEMENTS:
        page.get_by_label(acknowledgement.statement, exact=True).check()
    page.get_by_label("Type your full legal name").fill("Maria Lopez")
    sign_with_a_finger(page)
    expect(page.locator("#signature")).to_have_value(re.compile(r"^data:image/png;base64,."))
    screenshot(page, "consent")
    page.get_by_role("button", name="Sign the consent").click()

    # 4. Her printable copy shows what she signed, with the exact text's fingerprint.
    expect(page.get_by_role("heading", name="Signed informed consent", exact=True)).to_be_visible()
    record = page.get_by_role("table", name="Signature record")
    expect(record.get_by_role("row", name="Signed by").get_by_role("cell")).to_have_text(
        "Maria Lopez"
    )
    fingerprint = record.get_by_role("row", name="Text fingerprint (SHA-256)")
    expect(fingerprint.get_by_role("cell")).to_have_text(consent_v1.text_sha256)
    signature = page.get_by_role("img", name="Drawn signature of Maria Lopez")
    # decode() settles once the image has loaded, and fails for a broken one.
    assert signature.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)") > 0
    screenshot(page, "signed")
    expect(page.get_by_role("banner")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("banner")).to_be_hidden()
    screenshot(page, "print")

    # 5. The clinic keeps one signed consent, with her drawn signature as a PNG.
    with app.app_context():
        signed = db.session.scalars(select(SignedConsent)).all()
        assert len(signed) == 1
        assert signed[0].typed_name == "Maria Lopez"
        assert signed[0].signature_png.startswith(PNG_MAGIC)
        assert signed[0].text_sha256 == consent_v1.text_sha256
