"""The clinic day calendar as a grid: which rows, which cells are working, off or taken, and
how many rows each visit spans. Rows step through real time, so a DST day has 23 or 25 hours."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .availability import Interval, day_bounds

# The rows shown on a day nobody works and nothing is booked.
QUIET_DAY = (time(8), time(18))


class CellKind(StrEnum):
    CLOSED = "closed"  # outside the therapist's hours here
    WORKING = "working"  # within their hours, nothing booked
    OFF = "off"  # time off
    TAKEN = "taken"  # one or more visits


@dataclass(frozen=True)
class Booking:
    key: int  # the appointment's id
    start: datetime  # aware
    end: datetime


@dataclass(frozen=True)
class ColumnDay:
    """One therapist's day at the location: wall-clock hours, time off and visits."""

    key: int  # the provider's id
    hours: Sequence[tuple[time, time]] = ()
    time_off: Sequence[Interval] = ()
    bookings: Sequence[Booking] = ()


@dataclass(frozen=True)
class Cell:
    column: int  # the column's key
    kind: CellKind
    rowspan: int = 1
    bookings: tuple[int, ...] = ()  # for TAKEN: the visits in this block, in start order


@dataclass(frozen=True)
class Row:
    start: datetime  # UTC
    local: datetime  # the wall clock at the location
    repeated: bool  # this wall time happens twice today (the autumn hour): show the zone
    cells: tuple[Cell, ...]  # the cells that begin in this row, in column order


@dataclass(frozen=True)
class Grid:
    day: date
    zone: str
    step: timedelta
    columns: tuple[int, ...]
    rows: tuple[Row, ...]


def wall_instant(day: date, wall: time, zone: str) -> datetime:
    """The same rule as the availability engine, so the grid agrees with bookable slots:
    fold=0 takes the first of a repeated wall time; a time in a spring-forward gap keeps the
    offset from before the gap."""
    tz = ZoneInfo(zone)
    return datetime.combine(day, wall, tzinfo=tz).replace(fold=0).astimezone(UTC)


def build_grid(
    day: date, zone: str, step: timedelta, columns: Sequence[ColumnDay], quiet=QUIET_DAY
) -> Grid:
    """Rows on the slot grid from the first hour worked or visit booked to the last, within
    the local day; every column's cells, with visits and time off spanning their rows."""
    if step <= timedelta(0):
        raise ValueError("the grid step must be positive")
    bounds = day_bounds(day, zone)
    starts = _row_starts(day, zone, step, columns, bounds, quiet)
    tz = ZoneInfo(zone)
    per_column = [_cells(column, day, zone, starts, step) for column in columns]
    rows = []
    for index, start in enumerate(starts):
        local = start.astimezone(tz)
        cells = tuple(cell for cells in per_column if (cell := cells.get(index)) is not None)
        rows.append(Row(start, local, _repeated(local, tz), cells))
    return Grid(day, zone, step, tuple(c.key for c in columns), tuple(rows))


def _row_starts(day, zone, step, columns, bounds: Interval, quiet) -> list[datetime]:
    spans = [
        (wall_instant(day, starts, zone), wall_instant(day, ends, zone))
        for column in columns
        for starts, ends in column.hours
    ]
    spans += [(b.start, b.end) for column in columns for b in column.bookings]
    if not spans:
        spans = [(wall_instant(day, quiet[0], zone), wall_instant(day, quiet[1], zone))]
    first = max(min(s for s, _ in spans).astimezone(UTC), bounds.start)
    last = min(max(e for _, e in spans).astimezone(UTC), bounds.end)
    # Rows sit on the grid counted from local midnight (whole hours keep it there across DST).
    first = bounds.start + ((first - bounds.start) // step) * step
    starts = []
    at = first
    while at < last:
        starts.append(at)
        at += step
    return starts


def _cells(column: ColumnDay, day, zone, starts: list[datetime], step) -> dict[int, Cell]:
    """Cells by the index of the row they begin in; rows a block covers have none."""
    cells: dict[int, Cell] = {}
    covered: set[int] = set()
    for first, last, keys in _booking_blocks(column.bookings, starts, step):
        cells[first] = Cell(column.key, CellKind.TAKEN, last - first, keys)
        covered.update(range(first, last))
    working = [
        Interval(wall_instant(day, s, zone), wall_instant(day, e, zone)) for s, e in column.hours
    ]
    off_from = None
    for index, start in enumerate([*starts, None]):
        slot = Interval(start, start + step) if start is not None else None
        free = slot is not None and index not in covered
        is_off = free and any(slot.overlaps(t) for t in column.time_off)
        if off_from is not None and not is_off:  # a run of time off ends: one cell for it all
            cells[off_from] = Cell(column.key, CellKind.OFF, index - off_from)
            off_from = None
        if not free:
            continue
        if is_off:
            off_from = index if off_from is None else off_from
        else:
            inside = any(w.start <= slot.start and slot.end <= w.end for w in working)
            cells[index] = Cell(column.key, CellKind.WORKING if inside else CellKind.CLOSED)
    return cells


def _booking_blocks(bookings: Sequence[Booking], starts: list[datetime], step):
    """(first row, row after the last, visit keys): visits whose rows touch share one block,
    so a table cell never has to sit inside another."""
    if not starts:
        return []
    origin, count = starts[0], len(starts)
    spans = []
    for booking in sorted(bookings, key=lambda b: (b.start, b.key)):
        first = max(0, (booking.start.astimezone(UTC) - origin) // step)
        last = min(count, -((origin - booking.end.astimezone(UTC)) // step))  # ceiling
        if first >= count or last <= 0:
            continue  # outside the rows shown (only a visit past midnight can be)
        spans.append([first, max(last, first + 1), [booking.key]])
    blocks: list[list] = []
    for span in spans:
        if blocks and span[0] < blocks[-1][1]:
            blocks[-1][1] = max(blocks[-1][1], span[1])
            blocks[-1][2].extend(span[2])
        else:
            blocks.append(span)
    return [(first, last, tuple(keys)) for first, last, keys in blocks]


def _repeated(local: datetime, tz: ZoneInfo) -> bool:
    wall = local.replace(tzinfo=None)
    return (
        wall.replace(fold=0, tzinfo=tz).utcoffset() != wall.replace(fold=1, tzinfo=tz).utcoffset()
    )
