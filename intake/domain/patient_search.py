"""What the front desk typed in the patients search: a date of birth, a phone, an email, or
names. Plain text in, a criterion out; the service turns it into SQL."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

MAX_QUERY = 100
MAX_WORDS = 4
MIN_PHONE_DIGITS = 7  # fewer digits are too many numbers to be a useful search
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-]+")


class By(StrEnum):
    EVERYONE = "everyone"
    BORN_ON = "born_on"
    PHONE = "phone"  # the whole number, in E.164
    PHONE_DIGITS = "phone_digits"  # part of a number
    EMAIL = "email"
    NAME = "name"


@dataclass(frozen=True)
class Criterion:
    by: By
    value: object = None  # a date, the E.164 or digits, the email text, or the name words


def parse(raw: str | None) -> Criterion:
    """YYYY-MM-DD or MM/DD/YYYY: a date of birth. Digits with the usual punctuation: a phone
    ("919-555-0100", "(919) 555 0100" and "+19195550100" are one number). An @: an email.
    Anything else: up to four words (commas part them too), each part of a first or last name."""
    text = " ".join((raw or "")[:MAX_QUERY].split())
    if not text:
        return Criterion(By.EVERYONE)
    if (born := _date(text)) is not None:
        return Criterion(By.BORN_ON, born)
    if _PHONE_LIKE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) == 10 and not text.startswith("+"):
            return Criterion(By.PHONE, f"+1{digits}")
        if len(digits) == 11 and digits.startswith("1"):
            return Criterion(By.PHONE, f"+{digits}")
        if text.startswith("+") and len(digits) >= 8:
            return Criterion(By.PHONE, f"+{digits}")
        if len(digits) >= MIN_PHONE_DIGITS:
            return Criterion(By.PHONE_DIGITS, digits)
    if "@" in text:
        return Criterion(By.EMAIL, text.lower())
    words = tuple(name_words(text.lower()))
    return Criterion(By.NAME, words) if words else Criterion(By.EVERYONE)


def name_words(text: str, limit: int = MAX_WORDS) -> list[str]:
    """The words of a typed name, commas parting them too: "Lopez, Maria" is how lists show
    a name. The patients search and the queue's search box both read names this way."""
    return text.replace(",", " ").split()[:limit]


def _date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
