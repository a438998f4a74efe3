"""Dana at the front desk: the clinic day calendar fits her laptop, the queue reads as cards on
her phone, and a day she mistypes brings her to the error at the top."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from intake.models import AppointmentStatus
from intake.permissions import Role
from tests.conftest import PASSWORD

NY = ZoneInfo("America/New_York")
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def busy_day(clinic, make_provider, make_user, make_appointment):
    """Today at Durham: six therapists working 8-18, each with visits, some flagged."""
    today = datetime.now(NY).date()
    place = clinic.location
    therapists = [clinic.provider] + [
        make_provider(f"Therapist Number {n}", [place], slug=f"t{n}",
                      hours=[(place, today.weekday(), time(8), time(18))])
        for n in range(5)
    ]  # fmt: skip
    for n, provider in enumerate(therapists):
        for hour in (9, 11, 14):
            starts = datetime.combine(today, time(hour), tzinfo=NY).astimezone(UTC)
            patient = make_user(first_name="Alexandra", last_name=f"Montgomery-Whitfield {n}")
            make_appointment(
                patient, provider, place, clinic.type, starts,
                AppointmentStatus.REQUESTED if hour == 9 else AppointmentStatus.CONFIRMED,
                urgent=hour == 9, needs_review=hour == 11,
                created_at=datetime.now(UTC) - timedelta(hours=1),
            )  # fmt: skip
    return place


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_calendar_fits_a_laptop_and_the_queue_is_cards_on_a_phone(
    browser, live_server, busy_day, make_user, screenshot
):
    desk = make_user(Role.FRONT_DESK, email="dana@example.org", first_name="Dana")
    laptop = browser.new_context(viewport=LAPTOP).new_page()
    sign_in(laptop, live_server, desk.email)
    laptop.goto(f"{live_server}/staff/calendar?location={busy_day.id}")
    expect(laptop.get_by_role("table")).to_be_visible()
    expect(laptop.get_by_role("columnheader")).to_have_count(7)  # the time and six therapists
    assert laptop.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    assert laptop.evaluate(
        "document.querySelector('.table-wrap').scrollWidth"
        " <= document.querySelector('.table-wrap').clientWidth"
    )
    screenshot(laptop, "calendar")

    laptop.goto(f"{live_server}/staff/requests?status=all")
    assert laptop.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    assert laptop.evaluate(
        "document.querySelector('.table-wrap').scrollWidth"
        " <= document.querySelector('.table-wrap').clientWidth"
    ), "the queue scrolls sideways at 1280 px"
    screenshot(laptop, "queue")

    # A mistyped day: the summary at the top has the focus.
    laptop.goto(f"{live_server}/staff/calendar?location={busy_day.id}&date=2026-02-30")
    expect(laptop.locator(".error-summary")).to_be_focused()
    laptop.context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    sign_in(phone, live_server, desk.email)
    phone.goto(f"{live_server}/staff/requests?status=all")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    first = phone.locator("table.cards tbody tr").first
    assert first.evaluate("row => getComputedStyle(row).display") == "block"
    # Each cell is labelled with its column's name (CSS generated content, so not in the text).
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(td => getComputedStyle(td, '::before').content)"
    )
    assert labels[:2] == ['"Flags: "', '"Patient: "'] and '"Status: "' in labels
    screenshot(phone, "queue-phone")
    phone.context.close()
