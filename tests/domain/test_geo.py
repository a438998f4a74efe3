"""Offline geocoding and straight-line distances."""

import pytest

from intake.domain.geo import Point, UnknownPlace, distance_miles, locate


@pytest.mark.parametrize(
    ("a", "b", "miles"),
    [
        (Point(0, 0), Point(0, 1), 69.09),  # one degree of longitude on the equator
        (Point(0, 0), Point(1, 0), 69.09),
        (Point(35.9967, -78.8966), Point(35.9967, -78.8966), 0.0),
        (Point(40.7128, -74.0060), Point(34.0522, -118.2437), 2445.6),  # NYC to LA
    ],
)
def test_distance_miles(a, b, miles):
    assert distance_miles(a, b) == pytest.approx(miles, abs=0.5)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("27701", "27701 (Durham, NC)"),
        (" 27514-1234 ", "27514 (Chapel Hill, NC)"),
        ("Durham, NC", "Durham, NC"),
        ("chapel   hill ,nc", "Chapel Hill, NC"),
    ],
)
def test_locate_zip_and_city(text, label):
    place = locate(text)
    assert place.label == label
    assert 35 < place.point.latitude < 37
    assert -80 < place.point.longitude < -78


@pytest.mark.parametrize(
    "text", ["", "00000", "1234", "Durham", "Durham, ZZ", "Nowhere, NC", "9" * 400]
)
def test_unknown_places_are_refused(text):
    with pytest.raises(UnknownPlace):
        locate(text)
