"""Long lists fill each row's link into one url_for: the same URLs as url_for row by row."""

import pytest
from flask import url_for

from intake.views.helpers import id_link


@pytest.mark.parametrize(
    ("endpoint", "key", "values"),
    [
        ("staff.request", "appointment_id", {}),
        ("consent.show", "consent_id", {}),
        ("schedule.mark", "appointment_id", {"view": "week", "date": "2026-12-07"}),
        ("staff.queue", "appointment_id", {}),  # not in the path: a query value, as url_for
    ],
)
def test_a_filled_link_is_the_url_for_of_that_id(app, endpoint, key, values):
    with app.test_request_context("/"):
        link = id_link(endpoint, key, **values)
        for id_ in (1, 42, 918273645, 2_000_000_000):
            assert link(id_) == url_for(endpoint, **{key: id_}, **values)


def test_a_link_looked_up_by_id_is_the_same_and_refuses_anything_but_an_id(app):
    with app.test_request_context("/"):
        link = id_link("staff.request", "appointment_id")
        assert link[42] == link(42) == url_for("staff.request", appointment_id=42)
        # Jinja would render a TypeError from a lookup as an empty link: not this one.
        for wrong in (None, "42", 4.2):
            with pytest.raises(ValueError):
                link[wrong]
