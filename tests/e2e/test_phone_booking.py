"""Dana takes a call: from a free cell of the calendar she adds the caller, who has no email,
and books them into that time, on her laptop at 1280x800 with the keyboard alone; the patients
list reads as cards on a phone."""

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from intake.permissions import Role
from tests.conftest import PASSWORD
from tests.support.clock import CLINIC_ZONE, next_weekday_at

LAPTOP = {"width": 1280, "height": 800}


def press(page, locator) -> None:
    """Reach a control by its focus and press Enter on it, as a keyboard user does."""
    locator.focus()
    page.keyboard.press("Enter")


def type_into(page, label: str, text: str) -> None:
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_the_desk_books_a_caller_from_a_free_calendar_cell_by_keyboard(
    browser, live_server, clinic, make_user, screenshot
):
    desk = make_user(Role.FRONT_DESK, email="dana@example.org", first_name="Dana")
    start = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    day = start.astimezone(CLINIC_ZONE).date()
    laptop = browser.new_context(viewport=LAPTOP).new_page()
    laptop.goto(live_server + "/account/login")
    type_into(laptop, "Email", desk.email)
    type_into(laptop, "Password", PASSWORD)
    laptop.keyboard.press("Enter")
    expect(laptop.get_by_role("link", name="Patients", exact=True)).to_be_visible()

    laptop.goto(f"{live_server}/staff/calendar?location={clinic.location.id}&date={day}")
    assert fits(laptop)
    press(laptop, laptop.get_by_role("link", name=re.compile(r"^Book 10:00 AM with Ben Durham")))
    expect(laptop.get_by_role("heading", name="New booking: pick the patient")).to_be_visible()
    expect(laptop.locator("#picking")).to_contain_text("10:00")
    press(laptop, laptop.get_by_role("link", name="New patient"))

    type_into(laptop, "First name", "Carl")
    type_into(laptop, "Last name", "Caller")
    type_into(laptop, "Date of birth", "05061971")  # a date input takes the digits in order
    type_into(laptop, "Phone", "(919) 555 0142")
    press(laptop, laptop.get_by_role("button", name="Save and choose a time"))

    expect(laptop.get_by_text("Carl Caller is now a patient.")).to_be_visible()
    expect(laptop.get_by_role("heading", name="The time chosen on the calendar")).to_be_visible()
    assert fits(laptop)
    screenshot(laptop, "book-for-caller")
    press(laptop, laptop.locator("#picked-title + p + form button"))

    expect(laptop.get_by_text("Booked and confirmed.")).to_be_visible()
    expect(laptop.get_by_text("no email on file", exact=False).first).to_be_visible()
    assert fits(laptop)
    laptop.context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(live_server + "/account/login")
    phone.get_by_label("Email").fill(desk.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto(f"{live_server}/staff/patients?q=caller")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    row = phone.locator("table.cards tbody tr").first
    assert row.evaluate("row => getComputedStyle(row).display") == "block"
    screenshot(phone, "patients-phone")
    phone.context.close()
