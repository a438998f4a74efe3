"""What the desk types in the patients search is read as the caller would mean it."""

from datetime import date

import pytest

from intake.domain.patient_search import By, Criterion, parse


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("", Criterion(By.EVERYONE)),
        ("   ", Criterion(By.EVERYONE)),
        (None, Criterion(By.EVERYONE)),
        ("1980-04-02", Criterion(By.BORN_ON, date(1980, 4, 2))),
        ("04/02/1980", Criterion(By.BORN_ON, date(1980, 4, 2))),
        ("919-555-0100", Criterion(By.PHONE, "+19195550100")),
        ("(919) 555 0100", Criterion(By.PHONE, "+19195550100")),
        ("+19195550100", Criterion(By.PHONE, "+19195550100")),
        ("1 919 555 0100", Criterion(By.PHONE, "+19195550100")),
        ("+44 20 7946 0958", Criterion(By.PHONE, "+442079460958")),
        ("555-0100", Criterion(By.PHONE_DIGITS, "5550100")),
        ("Maria@Example.org", Criterion(By.EMAIL, "maria@example.org")),
        ("  Maria   LOPEZ ", Criterion(By.NAME, ("maria", "lopez"))),
        ("lop", Criterion(By.NAME, ("lop",))),
        ("Lopez, Maria", Criterion(By.NAME, ("lopez", "maria"))),  # as the list shows it
        ("Lopez,Maria", Criterion(By.NAME, ("lopez", "maria"))),
        (" , ", Criterion(By.EVERYONE)),
        ("02/30/1980", Criterion(By.NAME, ("02/30/1980",))),  # no such day: matches no one
        ("12", Criterion(By.NAME, ("12",))),  # too few digits for a phone
        ("a b c d e f", Criterion(By.NAME, ("a", "b", "c", "d"))),
    ],
)
def test_the_search_reads_what_the_desk_typed(typed, meant):
    assert parse(typed) == meant


def test_a_very_long_query_is_cut_not_refused():
    assert parse("x" * 10_000).by is By.NAME
    assert len(parse("x" * 10_000).value[0]) == 100
