"""The day after her needling visit, Maria opens the check-in link on her phone."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.config import current_settings
from intake.domain.aftercare import QUESTIONS
from intake.extensions import db
from intake.models import AppointmentStatus, Callback, CheckIn
from intake.services import aftercare
from tests.conftest import persist


@pytest.fixture
def check_in_link(app, clinic, ready_patient, make_appointment):
    """Maria's visit yesterday, completed; its check-in email sent with this link."""
    maria = ready_patient()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    visit = make_appointment(
        maria, clinic.provider, clinic.location, clinic.type, yesterday,
        status=AppointmentStatus.COMPLETED,
    )  # fmt: skip
    check_in = persist(
        app,
        CheckIn(appointment_id=visit.id, patient_id=maria.id, due_at=yesterday, sent_at=yesterday),
    )
    with app.app_context():
        return "/check-in/" + aftercare.check_in_token(check_in, current_settings())


def answer(page, soreness: str, yes: set[str]) -> None:
    page.get_by_label("How sore are you now").fill(soreness)
    for question in QUESTIONS:
        group = page.get_by_role("group", name=question.label)
        group.get_by_label("Yes" if question.key in yes else "No", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()


def test_maria_answers_on_her_phone_and_her_therapist_has_it(
    app, phone, live_server, check_in_link, screenshot
):
    page = phone
    page.goto(live_server + check_in_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you after your visit?")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Sent before answering: the summary names what is missing, and nothing is stored.
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert").first).to_contain_text("Choose yes or no.")
    screenshot(page, "errors")

    answer(page, "3", yes={"bruising"})
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with app.app_context():
        stored = db.session.scalars(select(CheckIn)).one()
        assert (stored.soreness, stored.bruising, stored.alarming) == (3, True, False)


def test_a_chest_symptom_shows_what_to_do_at_once(app, phone, live_server, check_in_link):
    page = phone
    page.goto(live_server + check_in_link)
    answer(page, "6", yes={"short_of_breath"})
    expect(page.get_by_role("heading", level=1)).to_have_text("Please get help now")
    expect(page.get_by_text("Call 911 or go to an emergency department now")).to_be_visible()
    call = page.get_by_role("link", name="(919) 555-0100").first
    assert call.get_attribute("href") == "tel:+19195550100"
    with app.app_context():
        assert db.session.scalars(select(Callback.urgent)).one() is True
