"""Facts about a patient that follow from their answers: age and whether they are a minor."""

from datetime import date

ADULT_AGE = 18
OLDEST_PLAUSIBLE_AGE = 120


def age_on(born_on: date, today: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March."""
    had_birthday = (today.month, today.day) >= (born_on.month, born_on.day)
    return today.year - born_on.year - (0 if had_birthday else 1)


def is_minor(born_on: date, today: date) -> bool:
    return age_on(born_on, today) < ADULT_AGE
