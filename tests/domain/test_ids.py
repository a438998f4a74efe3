"""Which ids from a query string or a form could name a row at all."""

import pytest

from intake.domain.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # past PostgreSQL's integer column
        ("9" * 5000, None),  # int() itself would refuse this many digits
        ("0", None),
        ("-3", None),
        ("²", None),  # isdigit() says yes, int() says no
        ("١٢", None),  # Arabic-Indic digits are not how we write ids
        ("12a", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_positive_id_in_the_column_range_is_read(text, expected):
    assert parse_id(text) == expected
