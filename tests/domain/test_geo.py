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


@pytest.mark.parametrize("zip_code", ["00501", "02108", "27701", "60601", "94105", "99950"])
def test_the_compact_index_agrees_with_the_zipcodes_package(zip_code):
    zipcodes = pytest.importorskip("zipcodes")
    (known,) = zipcodes.matching(zip_code)
    place = locate(zip_code)
    assert place.label == f"{zip_code} ({known['city']}, {known['state']})"
    assert place.point == Point(float(known["lat"]), float(known["long"]))


def test_a_city_is_the_mean_of_its_standard_zips():
    zipcodes = pytest.importorskip("zipcodes")
    durham = [
        z for z in zipcodes.filter_by(city="Durham", state="NC") if z["zip_code_type"] == "STANDARD"
    ]
    point = locate("Durham, NC").point
    assert point.latitude == pytest.approx(sum(float(z["lat"]) for z in durham) / len(durham))
    assert point.longitude == pytest.approx(sum(float(z["long"]) for z in durham) / len(durham))


def test_the_index_holds_every_us_zip():
    from intake.domain.geo import zip_index

    assert len(zip_index()) > 40_000
