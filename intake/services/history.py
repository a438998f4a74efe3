"""The history of an appointment: who did what, when, from which status to which."""

from datetime import datetime

from sqlalchemy import insert

from ..extensions import db
from ..models import Appointment, AppointmentEvent, User

# Built once: a statement object kept computes its cache key once, not at every execution.
_INSERT_EVENT = insert(AppointmentEvent.__table__)


def appointment_history(
    appointment: Appointment,
    actor: User | None,
    action: str,
    from_status,
    to_status,
    now: datetime,
    detail: str = "",
) -> None:
    """Add one line to the history; the caller commits it with the change it describes. A
    plain INSERT of the table, at once: nothing reads the line back in the same request, and
    the ORM's unit of work cost more than the insert. The appointment is already written."""
    db.session.execute(
        _INSERT_EVENT,
        {
            "appointment_id": appointment.id,
            "actor_id": actor.id if actor else None,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "detail": detail[:1000],
            "at": now,
        },
    )
