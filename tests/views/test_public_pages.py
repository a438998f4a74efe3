"""A visitor learns what dry needling is before deciding to book."""

import pytest


def test_home_explains_the_clinic_and_offers_booking(client):
    page = client.get("/").get_data(as_text=True)
    assert "Intramuscular Manual Therapy" in page
    assert 'href="/providers"' in page
    assert "request an appointment" in page.lower()


@pytest.mark.parametrize(
    "fact",
    [
        "solid filament needle",
        "no medication of any kind is injected",
        "local twitch response",
        "mechanical",
        "biochemical",
        "Dr. Jay Shah",
        "National Institutes of Health",
        "spinal cord",
        "hands and fingers cannot",
        "several trigger points can be treated in the same visit",
        "pain-free range of motion",
        "endorphins and cortisol",
        "meridian",
        "do not practise acupuncture",
        "Pneumothorax (collapsed lung)",
        "get urgent medical care",
        "one to two days",
        "Fainting",
        "sterile, used once",
        "stop at any moment",
        "marathon",
    ],
)
def test_education_page_covers_each_fact(client, fact):
    page = client.get("/dry-needling").get_data(as_text=True)
    assert fact.lower() in page.lower()


@pytest.mark.parametrize(
    "section",
    [
        "what-it-is",
        "how-it-works",
        "benefits",
        "vs-acupuncture",
        "your-visit",
        "risks",
        "who-should-not",
        "story",
        "faq",
    ],
)
def test_education_page_sections_can_be_jumped_to(client, section):
    page = client.get("/dry-needling").get_data(as_text=True)
    assert f'href="#{section}"' in page
    assert f'id="{section}"' in page


def test_every_page_has_the_layout_landmarks(client, make_location):
    make_location(name="Hillsborough Street Clinic", zip_code="27607")
    page = client.get("/dry-needling").get_data(as_text=True)
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main"' in page
    assert '<nav aria-label="Main">' in page
    assert "Hillsborough Street Clinic" in page  # the footer lists the clinic's locations
    assert "<script" not in page and "style=" not in page


def test_unknown_page_is_a_404_inside_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)
    assert 'class="skip-link"' in response.get_data(as_text=True)


def test_a_crash_is_a_500_page_not_a_traceback(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)
