"""Where a patient is (US ZIP or "City, ST") and how far a clinic is, offline."""

import logging
import math
import re
import subprocess
import sys
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*([A-Za-z][A-Za-z .'-]{0,60}?)\s*,\s*([A-Za-z]{2})\s*$")
_ZIP_TABLE = Path(__file__).with_name("zip_table.py")


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
    place = zip_index().zip_place(zip_code)
    if place is None:
        raise UnknownPlace(zip_code)
    return place


def _city_place(city: str, state: str) -> Place:
    city = " ".join(city.split())
    point = zip_index().city_centre(city, state)
    if point is None:
        raise UnknownPlace(f"{city}, {state}")
    return Place(f"{city.title()}, {state.upper()}", point)


class ZipIndex:
    """Every ZIP's centroid in arrays sorted by ZIP (a binary search finds one), and each
    city's mean centre in a dict: about 5 MB, where zipcodes' own table is ~40 MB and its
    list of dicts ~100 MB more, scanned in full for each lookup."""

    def __init__(self, rows: Iterable[tuple[str, float, float, str, str, bool]]):
        """rows: (zip, latitude, longitude, city, state, is a STANDARD ZIP), in ZIP order."""
        self._zips, self._lats, self._lons = array("l"), array("d"), array("d")
        self._label_of, labels, self._labels = array("l"), {}, []
        # City names match case-insensitively; PO-box-only ZIPs share a city's centre.
        sums: dict[str, list] = {}
        for zip_code, lat, lon, city, state, standard in rows:
            self._zips.append(int(zip_code))
            self._lats.append(lat)
            self._lons.append(lon)
            label = f"{city}, {state}"
            if label not in labels:
                labels[label] = len(self._labels)
                self._labels.append(label)
            self._label_of.append(labels[label])
            if standard:
                total = sums.setdefault(_city_key(city, state), [0.0, 0.0, 0])
                total[0] += lat
                total[1] += lon
                total[2] += 1
        self._cities = {key: n for n, key in enumerate(sums)}
        self._city_lats = array("d", (lat / n for lat, _, n in sums.values()))
        self._city_lons = array("d", (lon / n for _, lon, n in sums.values()))

    def __len__(self) -> int:
        return len(self._zips)

    def zip_place(self, zip_code: str) -> Place | None:
        wanted = int(zip_code)
        at = bisect_left(self._zips, wanted)
        if at == len(self._zips) or self._zips[at] != wanted:
            return None
        label = self._labels[self._label_of[at]]
        return Place(f"{zip_code} ({label})", Point(self._lats[at], self._lons[at]))

    def city_centre(self, city: str, state: str) -> Point | None:
        at = self._cities.get(_city_key(city, state.upper()))
        return None if at is None else Point(self._city_lats[at], self._city_lons[at])


def _city_key(city: str, state: str) -> str:
    return f"{city.lower()}|{state}"


_index: ZipIndex | None = None
_index_lock = threading.Lock()


def zip_index() -> ZipIndex:
    """Built once per process; call it at app creation so it is ready (and shared by workers
    forked after a preload) before the first search."""
    global _index
    with _index_lock:
        if _index is None:
            _index = _read_zip_table()
    return _index


def _read_zip_table() -> ZipIndex:
    """Streamed from the child line by line: the whole text never sits in this process."""
    # Our own interpreter running our own script, no shell and no input from outside.
    command = [sys.executable, str(_ZIP_TABLE)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:  # noqa: S603
        index = ZipIndex(_parse(child.stdout))
    if child.returncode != 0:
        raise RuntimeError(f"{_ZIP_TABLE.name} exited with {child.returncode}")
    return index


def _parse(lines: Iterable[str]) -> Iterable[tuple[str, float, float, str, str, bool]]:
    for line in lines:
        zip_code, lat, lon, city, state, standard = line.rstrip("\n").split("\t")
        yield zip_code, float(lat), float(lon), city, state, standard == "1"
