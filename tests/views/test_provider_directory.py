"""A patient finds a dry-needling provider near home and reads their profile."""

import re
from datetime import time

import pytest


@pytest.fixture
def triangle(make_location, make_provider):
    """Three clinics a known distance apart and a provider at each (one at two)."""
    raleigh = make_location("27601", name="Raleigh Downtown", city="Raleigh")
    durham = make_location("27701", name="Durham Central", city="Durham")
    chapel_hill = make_location("27514", name="Chapel Hill", city="Chapel Hill")
    return {
        "ada": make_provider("Ada Raleigh", [raleigh], slug="ada"),
        "ben": make_provider("Ben Durham", [durham], slug="ben"),
        "cy": make_provider("Cy Both", [chapel_hill, raleigh], slug="cy"),
    }


def names_in_order(page: str) -> list[str]:
    return re.findall(r'<h2 id="provider-[^"]+"><a [^>]+>([^<]+)</a>', page)


def distances(page: str) -> list[str]:
    return re.findall(r"<strong>([\d.]+) miles</strong>", page)


def test_directory_lists_every_provider_with_their_card(client, triangle):
    page = client.get("/providers").get_data(as_text=True)
    assert names_in_order(page) == ["Ada Raleigh", "Ben Durham", "Cy Both"]
    assert "80 hours of dry-needling training" in page
    assert "Chapel Hill, Raleigh Downtown" in page
    assert "Accepting new patients" in page
    assert distances(page) == []


def test_search_by_zip_orders_providers_by_distance(client, triangle):
    page = client.get("/providers?near=27701").get_data(as_text=True)
    assert names_in_order(page) == ["Ben Durham", "Cy Both", "Ada Raleigh"]
    # Durham 27701 to: itself (under a mile, never "0.0 miles"), Chapel Hill 27514, Raleigh
    # 27601 (ZIP centroids).
    assert distances(page) == ["9.5", "21.4"]
    assert "<strong>Under 1 mile</strong> away, at Durham Central" in page
    assert "at Chapel Hill" in page  # Cy's nearest clinic, not the first listed
    assert "Providers nearest to 27701 (Durham, NC)" in page


def test_search_by_city_and_state(client, triangle):
    page = client.get("/providers?near=raleigh,+nc").get_data(as_text=True)
    assert names_in_order(page)[0] in {"Ada Raleigh", "Cy Both"}
    assert names_in_order(page)[-1] == "Ben Durham"
    assert "Providers nearest to Raleigh, NC" in page


@pytest.mark.parametrize("near", ["99999", "Atlantis, ZZ", "not a place", "x" * 5000])
def test_unknown_place_gets_a_message_and_the_plain_list(client, triangle, near):
    response = client.get("/providers", query_string={"near": near})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We could not find" in page
    assert names_in_order(page) == ["Ada Raleigh", "Ben Durham", "Cy Both"]
    assert "x" * 101 not in page


def test_search_text_is_escaped(client, triangle):
    page = client.get("/providers", query_string={"near": "<b>x</b>, NC"}).get_data(as_text=True)
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_profile_shows_locations_hours_and_the_booking_link(client, make_location, make_provider):
    durham = make_location("27701", name="Durham Central", phone="+19195550102")
    make_provider(
        "Ben Durham",
        [durham],
        slug="ben",
        credentials="PT, DPT, OCS",
        hours=[(durham, 0, time(8), time(12)), (durham, 2, time(13), time(17, 30))],
    )
    page = client.get("/providers/ben").get_data(as_text=True)
    assert "PT, DPT, OCS" in page
    assert "(919) 555-0102" in page
    assert "Monday</th><td>8:00 AM to 12:00 PM" in page
    assert "Wednesday</th><td>1:00 PM to 5:30 PM" in page
    assert 'href="/book/ben"' in page


def test_unknown_profile_is_404(client):
    assert client.get("/providers/nobody").status_code == 404


def test_html_in_a_bio_is_escaped(client, make_location, make_provider):
    make_provider("Eve", [make_location()], slug="eve", bio='<script>alert("x")</script> & more')
    page = client.get("/providers/eve").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in page


def test_directory_query_count_does_not_grow_with_providers(
    client, make_location, make_provider, count_queries
):
    clinic = make_location()
    make_provider("First", [clinic])
    with count_queries() as few:
        client.get("/providers?near=27701")
    for n in range(12):
        make_provider(f"Provider {n}", [clinic, make_location()])
    with count_queries() as many:  # the new providers made the cache read them again
        client.get("/providers?near=27701")
    with count_queries() as warm:
        client.get("/providers?near=27701")
    assert len(many) == len(few) <= 5
    assert warm == []


def test_a_provider_whose_account_is_deactivated_is_not_listed_or_bookable(
    client, make_location, make_provider, make_user
):
    from intake.permissions import Role

    gone = make_user(Role.THERAPIST, active=False)
    make_provider("Left Clinic", [make_location()], slug="left", user=gone)
    assert "Left Clinic" not in client.get("/providers").get_data(as_text=True)
    assert client.get("/providers/left").status_code == 404
    assert client.get("/book/left").status_code == 404
