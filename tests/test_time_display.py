"""Times are stored in UTC and shown in the clinic's zone, right across the DST changes."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import StatementError

from intake.formatting import (
    clock,
    clock_in,
    day_and_clock_in,
    local_datetime,
    long_date,
    when,
    when_in,
)


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        # Spring forward, 8 March 2026: 2:00 AM EST jumps to 3:00 AM EDT.
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), "Sunday, March 8, 2026 at 1:30 AM EST"),
        (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), "Sunday, March 8, 2026 at 3:30 AM EDT"),
        # Fall back, 1 November 2026: 1:00-2:00 AM happens twice, first EDT then EST.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "Sunday, November 1, 2026 at 1:30 AM EDT"),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "Sunday, November 1, 2026 at 1:30 AM EST"),
        (datetime(2026, 7, 4, 16, 0, tzinfo=UTC), "Saturday, July 4, 2026 at 12:00 PM EDT"),
    ],
)
def test_utc_instants_are_shown_in_the_clinic_zone(app, utc, shown):
    with app.app_context():
        assert when(utc) == shown


@pytest.mark.parametrize("zone", ["America/New_York", "America/Los_Angeles", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "utc",
    [
        datetime(2026, 3, 8, 6, 30, 59, 999999, tzinfo=UTC),  # the last moment of a minute
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, 12, tzinfo=UTC),  # 1:30 AM twice: EDT, then EST
        datetime(2026, 11, 1, 6, 30, 12, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    ],
)
def test_the_cached_forms_for_long_lists_read_the_same(utc, zone):
    local = local_datetime(utc, zone)
    assert when_in(utc, zone) == when(utc, zone)
    assert day_and_clock_in(utc, zone) == f"{long_date(local.date())} {clock(local)}"
    assert clock_in(utc, zone) == clock(local)


@pytest.mark.parametrize(
    ("utc", "label"),
    [
        (datetime(2026, 11, 1, 4, 30, tzinfo=UTC), "12:30 AM"),
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "1:30 AM EDT"),  # the first 1:30
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "1:30 AM EST"),  # the clocks went back
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "2:30 AM"),
        (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), "3:30 AM"),  # spring forward: nothing twice
    ],
)
def test_a_time_shown_twice_on_the_fall_back_day_names_its_zone(utc, label):
    """Two slots both labelled "1:30 AM" would be two different instants, indistinguishable."""
    zone = "America/New_York"
    assert clock(local_datetime(utc, zone)) == label
    assert clock_in(utc, zone) == label


def test_another_zone_can_be_configured(app):
    app.config["INTAKE_TIMEZONE"] = "America/Chicago"
    with app.app_context():
        assert when(datetime(2026, 7, 4, 16, 0, tzinfo=UTC)).endswith("11:00 AM CDT")


def test_naive_datetimes_are_refused_by_the_database_layer(app, make_user):
    from intake.extensions import db
    from intake.models import User

    with app.app_context():
        user = db.session.get(User, make_user().id)
        user.created_at = datetime(2026, 1, 1, 12, 0)  # no zone: ambiguous
        with pytest.raises(StatementError, match="naive datetime refused"):
            db.session.commit()
