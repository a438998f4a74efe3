"""Working hours at the clinic (weekdays 8:00-18:00 on its wall clock) and time waited in them,
also across the weeks the clocks change."""

from datetime import date, datetime, timedelta

import pytest

from intake.domain.business_hours import waited_too_long, waited_words, working_time_between
from tests.support.clock import at

ZONE = "America/New_York"
# 2026: clocks go forward on Sunday 8 March, back on Sunday 1 November.
FRI_BEFORE_SPRING = date(2026, 3, 6)
MON_AFTER_SPRING = date(2026, 3, 9)
MON_AFTER_FALL = date(2026, 11, 2)
TUESDAY = date(2026, 5, 12)


def hours(value: timedelta) -> float:
    return value.total_seconds() / 3600


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(at(TUESDAY, 9), at(TUESDAY, 11, 30), 2.5, id="inside-one-day"),
        pytest.param(at(TUESDAY, 6), at(TUESDAY, 20), 10, id="a-whole-day"),
        pytest.param(at(TUESDAY, 17), at(TUESDAY + timedelta(1), 9), 2, id="over-a-night"),
        pytest.param(at(date(2026, 5, 15), 17, 30), at(date(2026, 5, 18), 8, 30), 1,
                     id="over-a-weekend"),
        pytest.param(at(date(2026, 5, 16), 10), at(date(2026, 5, 17), 15), 0, id="weekend-only"),
        pytest.param(at(TUESDAY, 11), at(TUESDAY, 9), 0, id="end-before-start"),
        pytest.param(at(date(2026, 5, 11), 0), at(date(2026, 5, 18), 0), 50, id="a-week"),
        # The clocks change overnight on Sunday: each weekday keeps its ten hours.
        pytest.param(at(date(2026, 3, 2), 0), at(MON_AFTER_SPRING + timedelta(7), 0), 100,
                     id="two-weeks-over-spring-forward"),
        pytest.param(at(FRI_BEFORE_SPRING, 17), at(MON_AFTER_SPRING, 10), 3,
                     id="friday-est-to-monday-edt"),
        # Opening is 8:00 on the wall clock, EDT now: a fixed UTC offset would say 9:00.
        pytest.param(at(MON_AFTER_SPRING, 7), at(MON_AFTER_SPRING, 9), 1,
                     id="monday-after-spring-forward"),
        pytest.param(at(MON_AFTER_FALL, 7), at(MON_AFTER_FALL, 9), 1, id="monday-after-fall-back"),
        pytest.param(at(date(2026, 10, 30), 17), at(MON_AFTER_FALL, 8, 30), 1.5,
                     id="friday-edt-to-monday-est"),
    ],
)  # fmt: skip
def test_working_time_counts_weekday_business_hours_only(start, end, expected):
    assert hours(working_time_between(start, end, ZONE)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("since", "now", "over"),
    [
        pytest.param(at(TUESDAY, 9), at(TUESDAY, 11), False, id="exactly-two-hours"),
        pytest.param(at(TUESDAY, 9), at(TUESDAY, 11, 1), True, id="just-over"),
        pytest.param(at(TUESDAY, 17), at(TUESDAY + timedelta(1), 8, 30), False,
                     id="a-night-does-not-count"),
        pytest.param(at(FRI_BEFORE_SPRING, 16, 30), at(MON_AFTER_SPRING, 8, 45), True,
                     id="dst-weekend-then-monday-morning"),
        pytest.param(at(FRI_BEFORE_SPRING, 17), at(MON_AFTER_SPRING, 8, 30), False,
                     id="dst-weekend-not-yet"),
    ],
)  # fmt: skip
def test_waited_too_long_is_measured_in_working_hours(since, now, over):
    assert waited_too_long(since, now, ZONE, 2) is over


def test_waited_too_long_once_the_working_time_passed_the_limit_whatever_the_day():
    """Against working_time_between, minute by minute around a limit reached at closing
    time, over a weekend and over both changes of the clocks."""
    starts = [
        at(TUESDAY, 16),
        at(TUESDAY, 16, 59),
        at(FRI_BEFORE_SPRING, 16, 30),
        at(date(2026, 10, 30), 17, 15),
        at(date(2026, 5, 16), 12),
        at(TUESDAY, 7),
    ]
    for since in starts:
        for limit in (0, 0.5, 2, 10.25):
            for minutes in range(0, 4 * 24 * 60, 7):
                now = since + timedelta(minutes=minutes)
                expected = working_time_between(since, now, ZONE) > timedelta(hours=limit)
                assert waited_too_long(since, now, ZONE, limit) is expected, (since, now, limit)


def test_a_limit_reached_at_closing_time_is_passed_only_when_the_desk_opens_again():
    since = at(TUESDAY, 16)  # two working hours end at 18:00 sharp
    assert waited_too_long(since, at(TUESDAY, 21), ZONE, 2) is False
    assert waited_too_long(since, at(TUESDAY + timedelta(1), 8), ZONE, 2) is False
    assert waited_too_long(since, at(TUESDAY + timedelta(1), 8, 1), ZONE, 2) is True


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0, "0 min"), (59, "59 min"), (60, "1 h"), (135, "2 h 15 min"), (49 * 60, "2 days")],
)
def test_waited_words(minutes, words):
    since = datetime(2026, 5, 12, 12, tzinfo=at(TUESDAY, 9).tzinfo)
    assert waited_words(since, since + timedelta(minutes=minutes)) == words
