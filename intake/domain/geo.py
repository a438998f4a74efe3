"""Where a patient is (US ZIP or "City, ST") and how far a clinic is, offline."""

import math
import re
from dataclasses import dataclass
from functools import cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*([A-Za-z][A-Za-z .'-]{0,60}?)\s*,\s*([A-Za-z]{2})\s*$")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Place:
    label: str
    point: Point


class UnknownPlace(ValueError):
    """The text is not a ZIP or city we know."""


def distance_miles(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def locate(text: str) -> Place:
    """A ZIP's centroid, or the mean centroid of a city's ZIPs; UnknownPlace otherwise."""
    text = text[:100]
    if match := _ZIP.match(text):
        return _zip_place(match.group(1))
    if match := _CITY_STATE.match(text):
        return _city_place(match.group(1), match.group(2))
    raise UnknownPlace(text)


def _zip_place(zip_code: str) -> Place:
    found = [z for z in zipcodes.matching(zip_code) if z["lat"] and z["long"]]
    if not found:
        raise UnknownPlace(zip_code)
    z = found[0]
    return Place(f"{zip_code} ({z['city']}, {z['state']})", _point(z))


def _city_place(city: str, state: str) -> Place:
    city = " ".join(city.split())
    points = _city_index().get((city.lower(), state.upper()))
    if not points:
        raise UnknownPlace(f"{city}, {state}")
    lat = sum(p.latitude for p in points) / len(points)
    lon = sum(p.longitude for p in points) / len(points)
    return Place(f"{city.title()}, {state.upper()}", Point(lat, lon))


@cache
def _city_index() -> dict[tuple[str, str], list[Point]]:
    """City names are matched case-insensitively; PO-box-only ZIPs share a city's centre."""
    index: dict[tuple[str, str], list[Point]] = {}
    for z in zipcodes.list_all():
        if z["lat"] and z["long"] and z["zip_code_type"] == "STANDARD":
            index.setdefault((z["city"].lower(), z["state"]), []).append(_point(z))
    return index


def _point(z: dict) -> Point:
    return Point(float(z["lat"]), float(z["long"]))
