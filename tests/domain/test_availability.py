"""Free slots: working hours, bookings, time off, notice and horizon, across DST changes."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain.availability import (
    Interval,
    SlotRules,
    WeeklyHours,
    day_bounds,
    free_slots,
    group_by_day,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
WEDNESDAY = date(2026, 1, 14)
MONDAY = date(2026, 4, 13)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def at(day: date, hour: int, minute: int = 0, zone: str = NY) -> datetime:
    """The UTC instant of a local wall time (first occurrence if ambiguous)."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def block(weekday: int, starts: int, ends: int) -> WeeklyHours:
    return WeeklyHours(weekday, time(starts), time(ends))


def slots(
    *,
    first_day: date,
    last_day: date | None = None,
    hours: list[WeeklyHours],
    busy: tuple[Interval, ...] = (),
    time_off: tuple[Interval, ...] = (),
    rules: SlotRules | None = None,
    now: datetime | None = None,
    zone: str = NY,
) -> list[datetime]:
    return free_slots(
        zone=zone,
        first_day=first_day,
        last_day=last_day or first_day,
        hours=hours,
        busy=busy,
        time_off=time_off,
        rules=rules or SlotRules(duration=HOUR),
        now=now or at(first_day - timedelta(days=7), 12, zone=zone),
    )


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (WEDNESDAY, datetime(2026, 1, 14, 14, tzinfo=UTC), datetime(2026, 1, 14, 16, tzinfo=UTC)),
        (
            date(2026, 7, 15),
            datetime(2026, 7, 15, 13, tzinfo=UTC),
            datetime(2026, 7, 15, 15, tzinfo=UTC),
        ),
    ],
    ids=["winter-EST", "summer-EDT"],
)
def test_plain_weekday(day, first, last):
    found = slots(first_day=day, hours=[block(2, 9, 12)])
    assert found[0] == first
    assert found[-1] == last
    assert len(found) == 9
    assert all(s.tzinfo is UTC for s in found)
    assert found == [first + i * timedelta(minutes=15) for i in range(9)]


def test_other_weekdays_have_no_hours():
    assert slots(first_day=WEDNESDAY + timedelta(days=1), hours=[block(2, 9, 12)]) == []


@pytest.mark.parametrize(
    ("busy", "buffer", "expected"),
    [
        # 9:00 ends right as the booking starts; 10:30 starts right as it ends.
        ([(10, 0, 10, 30)], 0, [(9, 0), (10, 30), (10, 45), (11, 0)]),
        # A 10-minute buffer would run 9:00 into the booking; starting after it is still fine.
        ([(10, 0, 10, 30)], 10, [(10, 30), (10, 45), (11, 0)]),
        ([(10, 0, 10, 10)], 10, [(10, 15), (10, 30), (10, 45), (11, 0)]),
        ([(9, 0, 9, 30), (11, 0, 12, 0)], 0, [(9, 30), (9, 45), (10, 0)]),
        ([(8, 0, 12, 0)], 0, []),
        # A gap exactly one appointment (plus buffer) long still takes one.
        ([(9, 0, 10, 0), (11, 0, 12, 0)], 0, [(10, 0)]),
        ([(9, 0, 10, 0), (11, 10, 12, 0)], 10, [(10, 0)]),
    ],
)
def test_busy_intervals_remove_overlapping_slots(busy, buffer, expected):
    taken = tuple(Interval(at(WEDNESDAY, h1, m1), at(WEDNESDAY, h2, m2)) for h1, m1, h2, m2 in busy)
    rules = SlotRules(duration=HOUR, buffer_after=timedelta(minutes=buffer))
    found = slots(first_day=WEDNESDAY, hours=[block(2, 9, 12)], busy=taken, rules=rules)
    assert found == [at(WEDNESDAY, h, m) for h, m in expected]


def test_time_off_ignores_the_buffer():
    off = Interval(at(WEDNESDAY, 10), at(WEDNESDAY, 10, 30))
    rules = SlotRules(duration=HOUR, buffer_after=timedelta(minutes=10))
    found = slots(first_day=WEDNESDAY, hours=[block(2, 9, 12)], time_off=(off,), rules=rules)
    assert found == [at(WEDNESDAY, h, m) for h, m in [(9, 0), (10, 30), (10, 45), (11, 0)]]


def test_time_off_spanning_days_removes_them_all():
    weekdays = [block(d, 9, 12) for d in range(5)]
    off = Interval(at(MONDAY + timedelta(days=1), 0), at(MONDAY + timedelta(days=3), 0))
    found = slots(
        first_day=MONDAY, last_day=MONDAY + timedelta(days=4), hours=weekdays, time_off=(off,)
    )
    days = group_by_day(found, NY)
    assert list(days) == [MONDAY, MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)]
    assert all(len(day) == 9 for day in days.values())


@pytest.mark.parametrize(("now_minute", "first_minute"), [(0, 0), (7, 15), (15, 15)])
def test_notice_hides_slots_too_soon(now_minute, first_minute):
    tuesday = MONDAY + timedelta(days=1)
    week = [block(d, 9, 17) for d in range(5)]
    now = at(MONDAY, 10, now_minute)
    found = slots(first_day=MONDAY, last_day=MONDAY + timedelta(days=4), hours=week, now=now)
    days = group_by_day(found, NY)
    assert MONDAY not in days
    assert days[tuesday][0] == at(tuesday, 10, first_minute)  # still on the 15-minute grid
    assert days[tuesday][-1] == at(tuesday, 16)


def test_horizon_hides_slots_too_far_ahead():
    now = at(MONDAY, 10)
    week = [block(d, 9, 17) for d in range(5)]
    rules = SlotRules(duration=HOUR, notice=timedelta(0), horizon=timedelta(days=2))
    found = slots(
        first_day=MONDAY, last_day=MONDAY + timedelta(days=4), hours=week, rules=rules, now=now
    )
    assert found[0] == now
    assert found[-1] == now + timedelta(days=2)  # the horizon itself is still bookable


@pytest.mark.parametrize(
    ("day", "count", "first", "last"),
    [
        # Spring forward: 0:00 EST .. 6:00 EDT is 5 real hours.
        (
            date(2026, 3, 8),
            10,
            datetime(2026, 3, 8, 5, tzinfo=UTC),
            datetime(2026, 3, 8, 9, 30, tzinfo=UTC),
        ),
        # Fall back: 0:00 EDT .. 6:00 EST is 7 real hours.
        (
            date(2026, 11, 1),
            14,
            datetime(2026, 11, 1, 4, tzinfo=UTC),
            datetime(2026, 11, 1, 10, 30, tzinfo=UTC),
        ),
    ],
)
def test_dst_days_step_through_real_time(day, count, first, last):
    rules = SlotRules(duration=timedelta(minutes=30), grid=timedelta(minutes=30))
    found = slots(first_day=day, hours=[block(6, 0, 6)], rules=rules)
    assert len(found) == count
    assert len(set(found)) == count
    assert (found[0], found[-1]) == (first, last)
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(found))


def test_spring_forward_has_no_slot_in_the_missing_hour():
    rules = SlotRules(duration=timedelta(minutes=30), grid=timedelta(minutes=30))
    found = slots(first_day=date(2026, 3, 8), hours=[block(6, 0, 6)], rules=rules)
    assert [s.astimezone(ZoneInfo(NY)).hour for s in found] == [0, 0, 1, 1, 3, 3, 4, 4, 5, 5]


def test_fall_back_repeats_one_oclock_as_two_instants():
    rules = SlotRules(duration=timedelta(minutes=30), grid=timedelta(minutes=30))
    found = slots(first_day=date(2026, 11, 1), hours=[block(6, 0, 6)], rules=rules)
    one_oclock = [s for s in found if s.astimezone(ZoneInfo(NY)).time() == time(1)]
    assert [s.astimezone(ZoneInfo(NY)).tzname() for s in one_oclock] == ["EDT", "EST"]
    assert one_oclock[1] - one_oclock[0] == HOUR


@pytest.mark.parametrize(
    ("day", "first"),
    [
        (date(2026, 3, 2), datetime(2026, 3, 2, 14, tzinfo=UTC)),  # EST
        (date(2026, 3, 9), datetime(2026, 3, 9, 13, tzinfo=UTC)),  # EDT, the day after the change
    ],
)
def test_working_hours_follow_the_local_clock(day, first):
    found = slots(first_day=day, hours=[block(0, 9, 12)])
    assert found[0] == first
    assert len(found) == 9


def test_wall_time_in_the_gap_starts_after_it():
    # 2:30 does not exist on 2026-03-08; it keeps the EST offset and lands at 3:30 EDT.
    rules = SlotRules(duration=timedelta(minutes=30), grid=timedelta(minutes=30))
    hours = [WeeklyHours(6, time(2, 30), time(5))]
    found = slots(first_day=date(2026, 3, 8), hours=hours, rules=rules)
    assert found[0] == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert len(found) == 3


def test_blocks_that_touch_or_repeat_give_unique_slots():
    hours = [block(2, 9, 12), block(2, 12, 13), block(2, 9, 12)]
    found = slots(first_day=WEDNESDAY, hours=hours)
    assert found == sorted(set(found))
    assert len(found) == 10  # 9:00..11:00 and 12:00; nothing straddles noon
    assert at(WEDNESDAY, 11, 30) not in found


@pytest.mark.parametrize(
    ("day", "length"),
    [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 3, 9), 24), (WEDNESDAY, 24)],
)
def test_day_bounds_follow_dst(day, length):
    bounds = day_bounds(day, NY)
    assert bounds.end - bounds.start == timedelta(hours=length)
    assert bounds.start == at(day, 0)


def test_group_by_day_keys_by_local_date():
    late = at(WEDNESDAY, 23, 30, zone=LA)  # already Thursday in UTC
    early = at(WEDNESDAY, 9, zone=LA)
    nextday = at(WEDNESDAY + timedelta(days=1), 9, zone=LA)
    assert late.date() == WEDNESDAY + timedelta(days=1)
    grouped = group_by_day([nextday, late, early], LA)
    assert grouped == {WEDNESDAY: [early, late], WEDNESDAY + timedelta(days=1): [nextday]}
    assert list(grouped) == [WEDNESDAY, WEDNESDAY + timedelta(days=1)]


NAIVE = datetime(2026, 1, 14, 9)
AWARE = datetime(2026, 1, 14, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"now": NAIVE},
        {"busy": (Interval(NAIVE, NAIVE + HOUR),)},
        {"time_off": (Interval(AWARE, NAIVE + HOUR),)},
        {"busy": (Interval(AWARE, AWARE),)},
        {"last_day": WEDNESDAY - timedelta(days=1)},
    ],
    ids=["naive-now", "naive-busy", "naive-time-off", "empty-interval", "days-reversed"],
)
def test_free_slots_rejects_bad_input(changes):
    arguments = {
        "zone": NY,
        "first_day": WEDNESDAY,
        "last_day": WEDNESDAY,
        "hours": [block(2, 9, 12)],
        "busy": (),
        "time_off": (),
        "rules": SlotRules(duration=HOUR),
        "now": AWARE - timedelta(days=7),
    }
    free_slots(**arguments)  # the baseline is valid
    with pytest.raises(ValueError):
        free_slots(**(arguments | changes))


@pytest.mark.parametrize(
    "build",
    [
        lambda: SlotRules(duration=timedelta(0)),
        lambda: SlotRules(duration=-HOUR),
        lambda: SlotRules(duration=HOUR, grid=timedelta(0)),
        lambda: SlotRules(duration=HOUR, grid=-MINUTE),
        lambda: SlotRules(duration=HOUR, buffer_after=-MINUTE),
        lambda: WeeklyHours(7, time(9), time(12)),
        lambda: WeeklyHours(2, time(12), time(9)),
        lambda: WeeklyHours(2, time(9), time(9)),
        lambda: group_by_day([NAIVE], NY),
    ],
)
def test_rules_and_hours_reject_nonsense(build):
    with pytest.raises(ValueError):
        build()


# --- properties -----------------------------------------------------------------------------

ZONES = [NY, LA, "Europe/London", "UTC"]
DST_WEEKS = [date(2026, 3, 5), date(2026, 3, 8), date(2026, 10, 29), date(2026, 11, 1)]


def _quarter(n: int) -> time:
    return time(n // 4, n % 4 * 15)


@st.composite
def weekly_hours(draw, first_quarter: int, last_quarter: int) -> list[WeeklyHours]:
    bounds = st.lists(
        st.integers(first_quarter, last_quarter), min_size=2, max_size=2, unique=True
    ).map(sorted)
    return [
        WeeklyHours(weekday, *map(_quarter, draw(bounds)))
        for weekday in range(7)
        for _ in range(draw(st.integers(1, 3)))
    ]


@st.composite
def scenarios(draw, zones: list[str], first_quarter: int, last_quarter: int) -> dict:
    zone = draw(st.sampled_from(zones))
    first_day = draw(
        st.one_of(st.sampled_from(DST_WEEKS), st.dates(date(2026, 1, 1), date(2026, 12, 31)))
    )
    last_day = first_day + timedelta(days=draw(st.integers(0, 9)))
    start, end = day_bounds(first_day, zone).start, day_bounds(last_day, zone).end
    span = (end - start) // MINUTE

    def intervals(max_size: int) -> list[Interval]:
        spans = draw(
            st.lists(st.tuples(st.integers(0, span - 15), st.integers(15, 240)), max_size=max_size)
        )
        return [Interval(start + m * MINUTE, start + (m + n) * MINUTE) for m, n in spans]

    return {
        "zone": zone,
        "first_day": first_day,
        "last_day": last_day,
        "hours": draw(weekly_hours(first_quarter, last_quarter)),
        "busy": intervals(40),
        "time_off": intervals(4),
        "rules": SlotRules(
            duration=draw(st.sampled_from([30, 45, 60])) * MINUTE,
            buffer_after=draw(st.sampled_from([0, 10])) * MINUTE,
            grid=draw(st.sampled_from([15, 15, 10])) * MINUTE,
            notice=draw(st.sampled_from([timedelta(0), 2 * HOUR, timedelta(hours=24)])),
            horizon=draw(
                st.sampled_from([timedelta(days=1), timedelta(days=3), timedelta(days=60)])
            ),
        ),
        "now": start + draw(st.integers(-24 * 60, span)) * MINUTE,
    }


@settings(max_examples=200, deadline=None)
@given(scenarios(ZONES, 6 * 4, 20 * 4))
def test_every_free_slot_keeps_every_rule(scenario):
    found = free_slots(**scenario)
    rules, zone = scenario["rules"], ZoneInfo(scenario["zone"])
    assert found == sorted(set(found))
    for s in found:
        booked, treated = (
            Interval(s, s + rules.duration + rules.buffer_after),
            Interval(s, s + rules.duration),
        )
        assert not any(booked.overlaps(b) for b in scenario["busy"])
        assert not any(treated.overlaps(t) for t in scenario["time_off"])
        assert scenario["now"] + rules.notice <= s <= scenario["now"] + rules.horizon
        local = s.astimezone(zone)
        assert scenario["first_day"] <= local.date() <= scenario["last_day"]
        assert any(
            b.weekday == local.weekday()
            and local.time() >= b.starts
            and s + rules.duration <= at(local.date(), b.ends.hour, b.ends.minute, scenario["zone"])
            for b in scenario["hours"]
        )
    grouped = group_by_day(found, scenario["zone"])
    assert [s for day in grouped.values() for s in day] == found
    assert all(
        s.astimezone(zone).date() == day for day, day_slots in grouped.items() for s in day_slots
    )


def brute_force(scenario: dict) -> list[datetime]:
    """Every rule checked against every interval: slow, but obviously the specification."""
    rules, zone = scenario["rules"], scenario["zone"]
    found = set()
    day = scenario["first_day"]
    while day <= scenario["last_day"]:
        for b in scenario["hours"]:
            if b.weekday != day.weekday():
                continue
            s, end = (
                at(day, b.starts.hour, b.starts.minute, zone),
                at(day, b.ends.hour, b.ends.minute, zone),
            )
            while s + rules.duration <= end:
                booked = Interval(s, s + rules.duration + rules.buffer_after)
                treated = Interval(s, s + rules.duration)
                if (
                    not any(booked.overlaps(x) for x in scenario["busy"])
                    and not any(treated.overlaps(x) for x in scenario["time_off"])
                    and scenario["now"] + rules.notice <= s <= scenario["now"] + rules.horizon
                ):
                    found.add(s)
                s += rules.grid
        day += timedelta(days=1)
    return sorted(found)


@settings(max_examples=200, deadline=None)
@given(scenarios([NY, "Europe/London"], 0, 95))  # whole days, so blocks cross the DST changes
def test_free_slots_match_a_brute_force_check(scenario):
    assert free_slots(**scenario) == brute_force(scenario)
