"""Times are stored in UTC and shown in the clinic's zone, right across the DST changes."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import StatementError

from intake.formatting import when


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
