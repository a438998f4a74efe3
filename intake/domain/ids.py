"""What a row id can be: a positive 32-bit integer, as PostgreSQL's integer columns hold."""

MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value) -> int | None:
    """An id read from a query string or a form, or None when no row could have it."""
    text = str(value).strip() if value is not None else ""
    # isascii first: "²" and "٣" pass isdigit() and int() would refuse or misread them.
    if not (0 < len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
