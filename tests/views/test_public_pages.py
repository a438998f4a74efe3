"""A visitor learns what dry needling is before deciding to book."""

import re

import pytest


def test_home_explains_the_clinic_and_offers_booking(client):
    page = client.get("/").get_data(as_text=True)
    assert "Intramuscular Manual Therapy" in page
    assert 'href="/providers"' in page
    assert "request an appointment" in page.lower()


# Each section of the education page, in page order, with facts it must state itself.
FACTS_BY_SECTION = {
    "what-it-is": [
        "solid filament needle",
        "no medication of any kind is injected",
        "local twitch response",
    ],
    "how-it-works": [
        "mechanical",
        "biochemical",
        "Dr. Jay Shah",
        "National Institutes of Health",
        "spinal cord",
    ],
    "benefits": [
        "hands and fingers cannot",
        "several trigger points can be treated in the same visit",
        "pain-free range of motion",
    ],
    "vs-acupuncture": ["endorphins and cortisol", "meridian", "do not practice acupuncture"],
    "your-visit": ["sterile, used once", "stop at any moment"],
    "risks": [
        "Pneumothorax (collapsed lung)",
        "get urgent medical care",
        "one to two days",
        "Fainting",
    ],
    "who-should-not": ["lymph nodes were removed", "Blood thinners", "front desk will call you"],
    "story": ["marathon"],
    "faq": ["Does it hurt?", "How many sessions will I need?"],
}


def section_text(page: str, section: str) -> str:
    found = re.search(rf'<section id="{section}">(.*?)</section>', page, re.DOTALL)
    assert found, f"no section {section!r} on the page"
    return found.group(1).lower()


@pytest.mark.parametrize(("section", "facts"), FACTS_BY_SECTION.items(), ids=FACTS_BY_SECTION)
def test_the_education_page_states_each_fact_in_its_section(client, section, facts):
    page = client.get("/dry-needling").get_data(as_text=True)

    assert f'href="#{section}"' in page  # the page's contents jump to it
    text = section_text(page, section)
    assert [fact for fact in facts if fact.lower() not in text] == []


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


def test_every_header_cell_of_the_comparison_table_names_its_column(client):
    """A screen reader reads each column's header; an empty one reads as nothing at all."""
    page = client.get("/dry-needling").get_data(as_text=True)
    table = page[page.index("<table") : page.index("</table>")]
    headers = re.findall(r"<th[^>]*>(.*?)</th>", table, flags=re.S)
    assert headers and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers)
