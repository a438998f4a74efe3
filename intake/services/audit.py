"""The append-only audit trail: every staff look at health data and every change."""

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, utcnow


def record(
    action: str,
    *,
    actor_id: int | None,
    object_type: str = "",
    object_id: int | None = None,
    patient_id: int | None = None,
    commit: bool = False,
) -> AuditEvent:
    """Add an audit row to the session; commit=True for reads, which commit nothing else."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        at=utcnow(),
        ip_address=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(event)
    if commit:
        db.session.commit()
    return event
