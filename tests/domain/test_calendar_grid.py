"""The clinic day grid: rows on the slot grid, working, off and taken cells, visits spanning
their rows, and DST days of 23 and 25 hours."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain.availability import Interval, SlotRules, WeeklyHours, free_slots
from intake.domain.calendar_grid import Booking, CellKind, ColumnDay, build_grid, wall_instant

NY = "America/New_York"
WEDNESDAY = date(2026, 1, 14)
SPRING_FORWARD = date(2026, 3, 8)  # 2:00 EST becomes 3:00 EDT: 23 hours
FALL_BACK = date(2026, 11, 1)  # 2:00 EDT becomes 1:00 EST: 25 hours
HALF_HOUR = timedelta(minutes=30)
QUARTER = timedelta(minutes=15)
LETTERS = {CellKind.WORKING: "W", CellKind.CLOSED: "C", CellKind.OFF: "O", CellKind.TAKEN: "T"}


def at(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(NY)).replace(fold=fold)
    return local.astimezone(UTC)


def wall(value) -> time:
    return time(*value) if isinstance(value, tuple) else time(value)


def hours(*blocks) -> tuple:
    """Working blocks as (start, end), each an hour or an (hour, minute)."""
    return tuple((wall(starts), wall(ends)) for starts, ends in blocks)


def visit(day: date, starts, ends, key: int = 7, fold: int = 0) -> Booking:
    """A visit from one wall time to another that day (an hour or an (hour, minute))."""
    return Booking(key, at(day, *_hm(starts), fold=fold), at(day, *_hm(ends)))


def off(day: date, starts, ends) -> Interval:
    return Interval(at(day, *_hm(starts)), at(day, *_hm(ends)))


def _hm(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def picture(grid, key: int) -> str:
    """One letter a row for one column: W working, C closed, O time off begins, T a visit
    begins, "." a row covered by the cell above."""
    letters = []
    for row in grid.rows:
        cell = next((c for c in row.cells if c.column == key), None)
        letters.append("." if cell is None else LETTERS[cell.kind])
    return "".join(letters)


def spans(grid, key: int) -> list[int]:
    return [c.rowspan for row in grid.rows for c in row.cells if c.column == key and c.rowspan > 1]


def labels(grid) -> list[str]:
    return [f"{r.local:%H:%M}" + (f" {r.local:%Z}" if r.repeated else "") for r in grid.rows]


# fmt: off
CASES = [
    # name, day, step, columns, first row, rows, picture of column 1, row spans of column 1
    ("an ordinary morning", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 12)))], "09:00", 6, "WWWWWW", []),
    ("a visit spans its rows", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 12)), bookings=[visit(WEDNESDAY, (9, 30), (10, 30))])],
     "09:00", 6, "WT.WWW", [2]),
    ("a visit off the grid covers every row it touches", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 12)), bookings=[visit(WEDNESDAY, (9, 10), (10, 10))])],
     "09:00", 6, "T..WWW", [3]),
    ("time off is one cell for its run", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 12)), time_off=[off(WEDNESDAY, 10, 11)])],
     "09:00", 6, "WWO.WW", [2]),
    ("a whole day off", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 11)), time_off=[off(WEDNESDAY, 0, (23, 59))])],
     "09:00", 4, "O...", [4]),
    ("a visit inside time off splits it", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 11)), time_off=[off(WEDNESDAY, 9, 11)],
                bookings=[visit(WEDNESDAY, (9, 30), 10)])],
     "09:00", 4, "OTO.", [2]),
    ("overlapping visits share one block", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 12)), bookings=[visit(WEDNESDAY, 9, 10),
                                            visit(WEDNESDAY, (9, 30), (10, 30), key=8)])],
     "09:00", 6, "T..WWW", [3]),
    ("a visit outside the hours widens the day", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 10)), bookings=[visit(WEDNESDAY, 8, (8, 30))])],
     "08:00", 4, "TCWW", []),
    ("a split day is closed between", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 10), (11, 12)))], "09:00", 6, "WWCCWW", []),
    ("the rows cover every column", WEDNESDAY, HALF_HOUR,
     [ColumnDay(1, hours((9, 10))), ColumnDay(2, hours((10, 11)))], "09:00", 4, "WWCC", []),
    ("a day with nobody shows the usual hours", WEDNESDAY, timedelta(hours=1),
     [ColumnDay(1)], "08:00", 10, "CCCCCCCCCC", []),
    ("spring forward: no 2 o'clock", SPRING_FORWARD, HALF_HOUR,
     [ColumnDay(1, hours((1, 4)))], "01:00", 4, "WWWW", []),
    ("fall back: the 1 o'clock hour twice", FALL_BACK, HALF_HOUR,
     [ColumnDay(1, hours((0, 3)))], "00:00", 8, "WWWWWWWW", []),
    # 1:30 EST to 3:30 EDT is one real hour: two rows, not four.
    ("spring forward: a visit across the gap", SPRING_FORWARD, HALF_HOUR,
     [ColumnDay(1, hours((1, 4)), bookings=[visit(SPRING_FORWARD, (1, 30), (3, 30))])],
     "01:00", 4, "WT.W", [2]),
    ("fall back: a visit in the second 1:30", FALL_BACK, HALF_HOUR,
     [ColumnDay(1, hours((0, 3)), bookings=[visit(FALL_BACK, (1, 30), 2, fold=1)])],
     "00:00", 8, "WWWWWTWW", []),
]
# fmt: on


@pytest.mark.parametrize(
    ("day", "step", "columns", "first", "count", "drawn", "spanned"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_the_grid(day, step, columns, first, count, drawn, spanned):
    grid = build_grid(day, NY, step, columns)
    assert labels(grid)[0].startswith(first)
    assert len(grid.rows) == count
    assert picture(grid, columns[0].key) == drawn
    assert spans(grid, columns[0].key) == spanned
    assert grid.columns == tuple(c.key for c in columns)


@pytest.mark.parametrize(
    ("day", "rows"),
    [(WEDNESDAY, 95), (SPRING_FORWARD, 91), (FALL_BACK, 99)],
    ids=["24 hours", "23 hours", "25 hours"],
)
def test_a_day_long_block_has_the_days_real_length(day, rows):
    grid = build_grid(day, NY, QUARTER, [ColumnDay(1, hours((0, (23, 45))))])
    assert len(grid.rows) == rows
    assert all(b.start - a.start == QUARTER for a, b in zip(grid.rows, grid.rows[1:], strict=False))


def test_spring_forward_skips_the_missing_hour():
    grid = build_grid(SPRING_FORWARD, NY, HALF_HOUR, [ColumnDay(1, hours((1, 4)))])
    assert labels(grid) == ["01:00", "01:30", "03:00", "03:30"]
    assert not any(row.repeated for row in grid.rows)


def test_fall_back_names_the_zone_of_each_repeated_row():
    grid = build_grid(FALL_BACK, NY, HALF_HOUR, [ColumnDay(1, hours((0, 3)))])
    assert labels(grid) == [
        "00:00", "00:30", "01:00 EDT", "01:30 EDT", "01:00 EST", "01:30 EST", "02:00", "02:30",
    ]  # fmt: skip


def test_a_visit_past_midnight_stops_at_the_end_of_the_day():
    evening = Booking(7, at(WEDNESDAY, 23), at(WEDNESDAY, 23) + timedelta(hours=2))
    grid = build_grid(WEDNESDAY, NY, HALF_HOUR, [ColumnDay(1, bookings=[evening])])
    assert labels(grid) == ["23:00", "23:30"]
    assert spans(grid, 1) == [2]


def test_every_row_has_one_cell_per_column_counting_the_spans():
    columns = [
        ColumnDay(1, hours((9, 12)), bookings=[visit(WEDNESDAY, 9, 10)]),
        ColumnDay(2, hours((9, 12)), time_off=[off(WEDNESDAY, 10, 12)]),
    ]
    grid = build_grid(WEDNESDAY, NY, QUARTER, columns)
    filled = [0] * len(grid.rows)
    for index, row in enumerate(grid.rows):
        for cell in row.cells:
            for covered in range(index, index + cell.rowspan):
                filled[covered] += 1
    assert filled == [2] * len(grid.rows)


@pytest.mark.parametrize("day", [WEDNESDAY, SPRING_FORWARD, FALL_BACK])
def test_working_rows_are_where_the_booking_engine_offers_times(day):
    """The grid and the availability engine read wall-clock hours the same way."""
    block = hours(((1, 30), 4))
    grid = build_grid(day, NY, HALF_HOUR, [ColumnDay(1, block)])
    offered = free_slots(
        zone=NY,
        first_day=day,
        last_day=day,
        hours=[WeeklyHours(day.weekday(), *block[0])],
        busy=[],
        time_off=[],
        rules=SlotRules(duration=HALF_HOUR, grid=HALF_HOUR, notice=timedelta(0)),
        now=at(day, 0) - timedelta(days=1),
    )
    working = [r.start for r in grid.rows for c in r.cells if c.kind == CellKind.WORKING]
    assert working == offered
    assert grid.rows[0].start == wall_instant(day, time(1, 30), NY)


def test_the_step_must_be_positive():
    with pytest.raises(ValueError):
        build_grid(WEDNESDAY, NY, timedelta(0), [])
