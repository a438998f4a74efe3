"""What every administration change shares: a readable refusal, and commit with its audit row."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import User
from . import audit

ADMIN_CHANGE = "admin_change"


class AdminRefused(ValueError):
    """Why a change was not made; `field` names the form field to mark, if one is to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def taken(model, column: str, value, own_id: int | None, *, any_case: bool = False) -> bool:
    """Whether another row already uses this value of a unique column; `any_case` for a name
    people choose by, where "Follow-up" and "follow-up" would read as one."""
    field = getattr(model, column)
    same = func.lower(field) == value.strip().lower() if any_case else field == value
    query = select(func.count()).select_from(model).where(same)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return bool(db.session.scalar(query))


def commit_change(obj, actor: User, object_type: str, clash: AdminRefused) -> None:
    """Write the change and its audit row in one transaction; `clash` is raised when the
    database refuses it (someone took the same unique value a moment ago)."""
    db.session.add(obj)
    try:
        db.session.flush()
        audit.record(ADMIN_CHANGE, actor_id=actor.id, object_type=object_type, object_id=obj.id)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise clash from error
