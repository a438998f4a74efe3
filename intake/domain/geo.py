"""Where a patient is (US ZIP or "City, ST") and how far a clinic is, offline."""

import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
from array import array
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import zip_table
from .zip_table import city_key

log = logging.getLogger(__name__)

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*([A-Za-z][A-Za-z .'-]{0,60}?)\s*,\s*([A-Za-z]{2})\s*$")
_CITY = re.compile(r"^\s*([A-Za-z][A-Za-z .'-]{0,60}?)\s*$")
_ZIP_TABLE = Path(__file__).with_name("zip_table.py")
CACHE_FILE = "zip-index.bin"  # in the folder given to zip_index, the app's instance folder


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


def locate(text: str, home_state: str = "") -> Place:
    """A ZIP's centroid, or the mean centroid of a city's ZIPs; UnknownPlace otherwise. A city
    without its state ("Raleigh") is looked for in `home_state`, the clinic's, when given."""
    text = text[:100]
    if match := _ZIP.match(text):
        return _zip_place(match.group(1))
    if match := _CITY_STATE.match(text):
        return _city_place(match.group(1), match.group(2))
    if home_state and (match := _CITY.match(text)):
        return _city_place(match.group(1), home_state)
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
    """Every ZIP's centroid in arrays sorted by ZIP, and each city's mean centre under keys
    sorted the same way: a binary search finds either. About 2.5 MB of arrays, no dict and no
    string per entry, where zipcodes' own table is ~40 MB and its list of dicts ~100 MB more,
    scanned in full for each lookup."""

    def __init__(self, tables: Mapping[str, array]):
        """tables: as zip_table.build_tables makes them."""
        self._zips, self._lats, self._lons = tables["zips"], tables["lats"], tables["lons"]
        self._label_of = tables["label_of"]
        self._labels = _Texts(tables["label_text"], tables["label_ends"])
        self._city_keys = _Texts(tables["city_text"], tables["city_ends"])
        self._city_lats, self._city_lons = tables["city_lats"], tables["city_lons"]

    def __len__(self) -> int:
        return len(self._zips)

    def zip_place(self, zip_code: str) -> Place | None:
        at = _find(self._zips, int(zip_code))
        if at is None:
            return None
        label = self._labels[self._label_of[at]]
        return Place(f"{zip_code} ({label})", Point(self._lats[at], self._lons[at]))

    def city_centre(self, city: str, state: str) -> Point | None:
        at = _find(self._city_keys, city_key(city, state.upper()))
        return None if at is None else Point(self._city_lats[at], self._city_lons[at])


def _find(items: Sequence, wanted) -> int | None:
    at = bisect_left(items, wanted)
    return at if at < len(items) and items[at] == wanted else None


class _Texts(Sequence[str]):
    """Strings packed end to end in one UTF-8 array, decoded one at a time when asked for."""

    def __init__(self, text: array, ends: array):
        self._text, self._ends = text, ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, at: int) -> str:
        start = self._ends[at - 1] if at else 0
        return self._text[start : self._ends[at]].tobytes().decode()


_index: ZipIndex | None = None
_index_lock = threading.Lock()


def zip_index(cache_dir: str | os.PathLike | None = None) -> ZipIndex:
    """Loaded once per process. Call it at app creation with the instance folder, so it is
    ready (and shared by workers forked after a preload) before the first search: from the
    copy saved there when it is current, else built in a child process (~1.5 s) and saved."""
    global _index
    with _index_lock:
        if _index is None:
            _index = ZipIndex(_load_tables(None if cache_dir is None else Path(cache_dir)))
    return _index


def _load_tables(cache_dir: Path | None) -> dict[str, array]:
    key = zip_table.table_key()
    if cache_dir is None:
        return _build_tables(key)
    path = cache_dir / CACHE_FILE
    try:
        with path.open("rb") as saved:
            return zip_table.read_table(saved, key)
    except FileNotFoundError:
        log.info("building the ZIP index cache %s", path)
    except (OSError, zip_table.BadTable) as error:
        log.warning("rebuilding the ZIP index cache %s: %s", path, error)
    tables = _build_tables(key)
    _save_tables(path, key, tables)
    return tables


def _build_tables(key: str) -> dict[str, array]:
    """Read from the child as it writes: the zipcodes table never sits in this process."""
    # Our own interpreter running our own script, no shell and no input from outside.
    command = [sys.executable, str(_ZIP_TABLE)]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as child:  # noqa: S603
        try:
            tables, problem = zip_table.read_table(child.stdout, key), None
        except zip_table.BadTable as error:
            problem = error
    if child.returncode != 0:
        raise RuntimeError(f"{_ZIP_TABLE.name} exited with {child.returncode}")
    if problem is not None:
        raise RuntimeError(f"{_ZIP_TABLE.name} wrote a bad table: {problem}")
    return tables


def _save_tables(path: Path, key: str, tables: Mapping[str, array]) -> None:
    """Written whole under a temporary name, then renamed over the old copy: a process
    starting meanwhile reads one complete file or the other, and two processes building at
    once each rename a complete file. A copy cut short by a crash fails its checksum and is
    built again, so there is no fsync."""
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as out:
            temporary = out.name
            zip_table.write_table(out, key, tables)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("could not save the ZIP index cache %s: %s", path, error)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
