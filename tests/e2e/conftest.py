"""Real-browser tests: Debian's Chromium driven by Playwright against a live local server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
# Flags for a closed network: no background calls home, no first-run UI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None and not IN_CI:
                item.add_marker(
                    pytest.mark.skip(
                        reason="Chromium not found: install it with `apt-get install -y chromium` "
                        "to run the browser tests (CI installs it and fails without it)."
                    )
                )


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.fail("CI=true but no Chromium: .ci/run should have installed it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot(request):
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, step: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
