"""The append-only audit trail: every staff look at health data and every change."""

from ..database import begin_write, client_address, in_write
from ..extensions import db
from ..models import AuditEvent, utcnow


def record(
    action: str,
    *,
    actor_id: int | None,
    object_type: str = "",
    object_id: int | None = None,
    patient_id: int | None = None,
    detail: dict | None = None,
    commit: bool = False,
) -> AuditEvent:
    """Add an audit row to the session; commit=True for reads, which commit nothing else.
    `detail` holds what the row alone cannot say (an override's reason, why a change was
    refused), as JSON; never health answers."""
    if commit and not _writing():
        # The request has been reading (the signed-in user at least). On SQLite a deferred
        # transaction that read cannot start writing once another worker has written, so end
        # the read and write in a transaction that holds the lock from its start. Objects the
        # view already loaded are expired and reload on their next use.
        begin_write(db.session)
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail=detail,
        at=utcnow(),
        ip_address=client_address(db.session)[:45],
    )
    db.session.add(event)
    if commit:
        db.session.commit()
    return event


def _writing() -> bool:
    """A caller that already writes (or holds the write lock) keeps its transaction."""
    session = db.session
    return in_write(session) or bool(session.new or session.dirty or session.deleted)
