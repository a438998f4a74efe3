"""Refuse input no database column can hold before any view runs: NUL, lone surrogates, huge ids."""

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from .domain.ids import MAX_ID, MAX_ID_DIGITS
from .views.errors import render_error

# PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded to UTF-8 at all:
# either one reaching a query is a 500, so the request stops here with a 400.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class IdConverter(IntegerConverter):
    """`<int:...>` for every route: ASCII digits within the id column's range, so a larger
    number (or a ten-thousand-digit one, which int() refuses) matches no route: a 404."""

    regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def unstorable(text: str | None) -> bool:
    return bool(text) and UNSTORABLE.search(text) is not None


def _unstorable_pairs(multidict) -> bool:
    return any(unstorable(k) or unstorable(v) for k, v in multidict.items(multi=True))


def refused() -> bool:
    """Anything a query or a stored row could receive from this request.

    request.form is parsed once and cached, so the view reads the same parse (no second pass
    over a large body); uploaded files are not opened, only their names checked."""
    if unstorable(request.path) or _unstorable_pairs(request.args):
        return True
    if unstorable(request.user_agent.string) or unstorable(request.remote_addr):
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if _unstorable_pairs(request.form):
            return True
        return any(unstorable(k) or unstorable(f.filename) for k, f in request.files.items())
    return False


def register(app: Flask) -> None:
    # Before blueprints are registered: their <int:...> rules are compiled with this converter.
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_unstorable_input():
        if refused():
            return render_error(
                400,
                "That request had characters we cannot accept",
                "Please go back, remove any unusual characters and try again.",
            )
        return None
