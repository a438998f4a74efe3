"""A visitor on the smallest phone, without JavaScript, reads and navigates the public site."""

import pytest

PAGES = ["/", "/dry-needling", "/providers?near=27701", "/providers/pat-lee"]


@pytest.fixture
def clinic(make_location, make_provider):
    durham = make_location("27701", name="Durham Central")
    make_provider("Pat Lee", [durham], slug="pat-lee")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", [320, 1280])
def test_pages_fit_the_screen_without_sideways_scrolling(browser, live_server, clinic, path, width):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    response = page.goto(live_server + path)
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_search_and_profile_work_with_javascript_off(browser, live_server, clinic, screenshot):
    context = browser.new_context(viewport={"width": 320, "height": 700}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/providers")
    page.get_by_label("Your ZIP code or city").fill("Durham, NC")
    page.get_by_role("button", name="Search").click()
    assert "Providers nearest to Durham, NC" in page.content()
    page.get_by_role("link", name="Pat Lee").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Pat Lee"
    assert page.get_by_role("link", name="Request an appointment").get_attribute("href") == (
        "/book/pat-lee"
    )
    screenshot(page, "profile")
    context.close()


def test_skip_link_moves_focus_to_the_main_content(browser, live_server, clinic):
    page = browser.new_page()
    page.goto(live_server + "/dry-needling")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()
