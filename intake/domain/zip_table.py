"""The ZIP table in a compact binary form: built from the zipcodes package, read back by geo.

Run as a script in a child process (see geo.zip_index), it writes the table to stdout: the
zipcodes package unpacks ~40 MB on first use and its dicts take ~100 MB more that Python never
hands back to the system; the child pays that once and the web process only reads ~2.5 MB of
arrays back. geo keeps a copy in the instance folder so later starts skip the child.

Layout: a magic line, a JSON header line (key, item counts, SHA-256 of what follows), then each
section's array in SECTIONS order, in this machine's byte order."""

import hashlib
import json
import sys
from array import array
from collections.abc import Iterable, Mapping
from importlib.metadata import version
from typing import BinaryIO

MAGIC = b"intake zip table\n"
FORMAT = 1  # bump when the layout or what goes into it changes
# name -> array typecode. ZIPs and their centroids in ZIP order, each ZIP's label number;
# labels and city keys ("city|ST", sorted) as UTF-8 text with each one's end offset.
SECTIONS = {
    "zips": "i",
    "lats": "d",
    "lons": "d",
    "label_of": "i",
    "label_ends": "I",
    "label_text": "B",
    "city_ends": "I",
    "city_text": "B",
    "city_lats": "d",
    "city_lons": "d",
}
# Far above the ~43,000 ZIPs: a damaged header cannot make the reader allocate gigabytes.
_MAX_ITEMS = 4_000_000


class BadTable(ValueError):
    """The bytes are not a complete table for this key."""


def table_key() -> str:
    """What a saved table must have been built from to be used as it is."""
    return f"zipcodes {version('zipcodes')}, format {FORMAT}, {sys.byteorder}-endian"


def city_key(city: str, state: str) -> str:
    """City names match case-insensitively."""
    return f"{city.lower()}|{state}"


def build_tables(records: Iterable[Mapping]) -> dict[str, array]:
    """records: zipcodes' dicts. PO-box, unique and military ZIPs have a centroid of their
    own, but a city's centre is the mean of its STANDARD ZIPs only."""
    tables = {name: array(code) for name, code in SECTIONS.items()}
    label_numbers: dict[str, int] = {}
    sums: dict[str, list] = {}
    for z in sorted(records, key=lambda z: z["zip_code"]):
        if not (z["lat"] and z["long"]):
            continue
        lat, lon = float(z["lat"]), float(z["long"])
        tables["zips"].append(int(z["zip_code"]))
        tables["lats"].append(lat)
        tables["lons"].append(lon)
        label = f"{z['city']}, {z['state']}"
        if label not in label_numbers:
            label_numbers[label] = len(label_numbers)
            _append_text(tables["label_text"], tables["label_ends"], label)
        tables["label_of"].append(label_numbers[label])
        if z["zip_code_type"] == "STANDARD":
            total = sums.setdefault(city_key(z["city"], z["state"]), [0.0, 0.0, 0])
            total[0] += lat
            total[1] += lon
            total[2] += 1
    for key in sorted(sums):  # sorted: geo finds a city by binary search
        lat, lon, n = sums[key]
        _append_text(tables["city_text"], tables["city_ends"], key)
        tables["city_lats"].append(lat / n)
        tables["city_lons"].append(lon / n)
    return tables


def _append_text(text: array, ends: array, value: str) -> None:
    text.frombytes(value.encode())
    ends.append(len(text))


def write_table(out: BinaryIO, key: str, tables: Mapping[str, array]) -> None:
    digest = hashlib.sha256()
    for name in SECTIONS:
        digest.update(tables[name])
    counts = {name: len(tables[name]) for name in SECTIONS}
    header = {"key": key, "counts": counts, "sha256": digest.hexdigest()}
    out.write(MAGIC + json.dumps(header).encode() + b"\n")
    for name in SECTIONS:
        tables[name].tofile(out)


def read_table(source: BinaryIO, key: str) -> dict[str, array]:
    """The table in `source`, checked whole; BadTable if it is stale, damaged or cut short."""
    if source.readline(len(MAGIC)) != MAGIC:
        raise BadTable("not a ZIP table")
    try:
        header = json.loads(source.readline(4096))
        found, counts, expected_digest = header["key"], header["counts"], header["sha256"]
    except (ValueError, TypeError, KeyError) as error:
        raise BadTable(f"unreadable header ({type(error).__name__})") from None
    if found != key:
        raise BadTable(f"built from {found!r}, not {key!r}")
    tables, digest = {}, hashlib.sha256()
    for name, code in SECTIONS.items():
        count = counts.get(name) if isinstance(counts, dict) else None
        if not isinstance(count, int) or not 0 <= count <= _MAX_ITEMS:
            raise BadTable(f"bad count for {name}")
        tables[name] = array(code)
        try:
            tables[name].fromfile(source, count)
        except (EOFError, ValueError):  # ValueError: it ends inside an item
            raise BadTable(f"cut short in {name}") from None
        digest.update(tables[name])
    if source.read(1) or digest.hexdigest() != expected_digest:
        raise BadTable("contents do not match the header")
    return tables


def main() -> None:
    # Here rather than at the top: geo imports this module for the format, and the web
    # process must never load zipcodes' table.
    import zipcodes

    write_table(sys.stdout.buffer, table_key(), build_tables(zipcodes.list_all()))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
