"""The ZIP index's saved copy: used when current, rebuilt when stale or damaged, never fatal."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import zipcodes

from intake.domain import geo, zip_table
from intake.domain.geo import CACHE_FILE, Point, locate, zip_index

KEY = zip_table.table_key()


@pytest.fixture(scope="module")
def tables():
    """Built once by the real child process, as an app start without a saved copy does."""
    return geo._build_tables(KEY)


@pytest.fixture
def fresh_process(monkeypatch):
    """As if this process had not loaded the index yet; the loaded one comes back after."""
    monkeypatch.setattr(geo, "_index", None)


@pytest.fixture
def builds(monkeypatch, tables):
    """Counts the child processes a load would start, and hands back the module's tables."""
    made = []

    def build(key):
        made.append(key)
        return tables

    monkeypatch.setattr(geo, "_build_tables", build)
    return made


def save(folder: Path, tables, key: str = KEY) -> Path:
    path = folder / CACHE_FILE
    with path.open("wb") as out:
        zip_table.write_table(out, key, tables)
    return path


def saved_key(path: Path) -> str:
    with path.open("rb") as saved:
        saved.readline()
        return json.loads(saved.readline())["key"]


def test_the_saved_copy_is_used_without_starting_a_child(fresh_process, builds, tables, tmp_path):
    save(tmp_path, tables)
    index = zip_index(tmp_path)
    assert builds == []
    assert len(index) == len(tables["zips"])
    assert locate("27701").label == "27701 (Durham, NC)"


def test_a_missing_copy_is_built_once_and_saved(fresh_process, builds, tmp_path):
    zip_index(tmp_path)
    assert builds == [KEY]
    assert saved_key(tmp_path / CACHE_FILE) == KEY
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_FILE]  # no temporary file left


def test_a_copy_from_another_zipcodes_version_is_rebuilt(
    fresh_process, builds, tables, tmp_path, caplog
):
    path = save(tmp_path, tables, key="zipcodes 0.0.1, format 1, little-endian")
    with caplog.at_level(logging.WARNING, logger="intake.domain.geo"):
        zip_index(tmp_path)
    assert builds == [KEY]
    assert saved_key(path) == KEY
    assert "zipcodes 0.0.1" in caplog.text


def _cut_short(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _one_byte_changed(data: bytes) -> bytes:
    return data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:]


def _header_damaged(data: bytes) -> bytes:
    return data.replace(b'"counts"', b'"c0unts"', 1)


def _huge_count(data: bytes) -> bytes:
    head, rest = data.split(b'"zips": ', 1)
    return head + b'"zips": 999999999999' + rest[rest.index(b",") :]


@pytest.mark.parametrize(
    "damage",
    [
        _cut_short,
        _one_byte_changed,
        _header_damaged,
        _huge_count,
        lambda data: data + b"\0",
        lambda data: b"",
        lambda data: b"\x89PNG\r\n\x1a\n" + data,
    ],
)
def test_a_damaged_copy_is_rebuilt_instead_of_failing(
    fresh_process, builds, tables, tmp_path, damage
):
    path = save(tmp_path, tables)
    path.write_bytes(damage(path.read_bytes()))
    index = zip_index(tmp_path)
    assert builds == [KEY]
    assert len(index) == len(tables["zips"])
    with path.open("rb") as saved:
        assert len(zip_table.read_table(saved, KEY)["zips"]) == len(tables["zips"])


def test_an_unwritable_folder_costs_a_warning_not_the_start(
    fresh_process, builds, tmp_path, monkeypatch, caplog
):
    def refuse(*_args):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(geo.os, "replace", refuse)
    with caplog.at_level(logging.WARNING, logger="intake.domain.geo"):
        index = zip_index(tmp_path)
    assert index.zip_place("27701") is not None
    assert "could not save the ZIP index cache" in caplog.text
    assert list(tmp_path.iterdir()) == []  # the temporary file went too


def test_a_child_that_fails_stops_the_start_with_its_exit_status(monkeypatch):
    monkeypatch.setattr(geo, "_ZIP_TABLE", Path(__file__).with_name("no-such-script.py"))
    with pytest.raises(RuntimeError, match="exited with 2"):
        geo._build_tables(KEY)


def test_two_processes_starting_at_once_both_load_and_leave_one_good_copy(tmp_path):
    script = (
        "import sys; from intake.domain.geo import zip_index; print(len(zip_index(sys.argv[1])))"
    )
    starts = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    counts = [int(start.communicate(timeout=120)[0]) for start in starts]
    assert [start.returncode for start in starts] == [0, 0]
    assert counts[0] == counts[1] > 40_000
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_FILE]
    with (tmp_path / CACHE_FILE).open("rb") as saved:
        assert len(zip_table.read_table(saved, KEY)["zips"]) == counts[0]


def test_every_zip_and_city_answers_as_the_zipcodes_package_says():
    """The packed tables give what the package's own records give, for all of them."""
    cities: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for z in zipcodes.list_all():
        if not (z["lat"] and z["long"]):
            assert zip_index().zip_place(z["zip_code"]) is None
            continue
        point = Point(float(z["lat"]), float(z["long"]))
        place = zip_index().zip_place(z["zip_code"])
        assert place == geo.Place(f"{z['zip_code']} ({z['city']}, {z['state']})", point)
        if z["zip_code_type"] == "STANDARD":
            cities.setdefault((z["city"].lower(), z["state"]), []).append(point)
    for (city, state), points in cities.items():
        centre = zip_index().city_centre(city.upper(), state.lower())
        assert centre is not None
        assert centre.latitude == pytest.approx(sum(p.latitude for p in points) / len(points))
        assert centre.longitude == pytest.approx(sum(p.longitude for p in points) / len(points))
    assert zip_index().city_centre("Nowhere", "NC") is None
