"""A statement the database refuses leaves no row values in its error, hence in the log."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

HIDDEN = "[detail hidden: it can hold a patient's values]"


def _replace(error: BaseException, detail: str) -> None:
    error.args = tuple(
        arg.replace(detail, HIDDEN) if isinstance(arg, str) else arg for arg in error.args
    )


def hide_row_values(context) -> None:
    """PostgreSQL repeats the refused row or key in its DETAIL line ("Failing row contains
    (...)", "Key (email)=(...)"), which hide_parameters does not reach. A logged traceback
    prints both the driver's error and SQLAlchemy's: both lose that line."""
    original = context.original_exception
    detail = getattr(getattr(original, "diag", None), "message_detail", None)
    if not detail:
        return
    _replace(original, detail)
    if context.sqlalchemy_exception is not None:
        _replace(context.sqlalchemy_exception, detail)


def register() -> None:
    if not event.contains(Engine, "handle_error", hide_row_values):
        event.listen(Engine, "handle_error", hide_row_values)
