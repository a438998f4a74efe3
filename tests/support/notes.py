"""Signed session notes written straight to the database, for pages that show them."""

from intake.domain.needling import is_serious
from intake.models import AdverseEvent, NeedlingAddendum, NeedlingNote
from tests.conftest import persist


def signed_note(
    app, appointment, *, events=(), addenda=(), other_event="", follow_up=None, **fields
):
    """A note for a visit as its therapist signed it, with adverse events and addenda; its
    serious events followed up in the callback `follow_up` (an id) when given."""
    signer = fields.pop("signed_by_id", None) or _therapist_of(app, appointment)
    note = NeedlingNote(
        appointment_id=appointment.id,
        therapist_id=signer,
        regions=fields.pop("regions", ["calf_shin:right"]),
        needle_count=fields.pop("needle_count", 6),
        tolerance=fields.pop("tolerance", "good"),
        twitch_response=fields.pop("twitch_response", True),
        other_event=other_event,
        aftercare=fields.pop("aftercare", "Heat and gentle stretching."),
        signed_at=fields.pop("signed_at", appointment.ends_at),
        signed_by_id=signer,
        events=[
            AdverseEvent(
                appointment_id=appointment.id,
                provider_id=appointment.provider_id,
                kind=kind,
                occurred_at=appointment.starts_at,
                callback_id=follow_up if is_serious(kind) else None,
            )
            for kind in events
        ],
        addenda=[
            NeedlingAddendum(text=text, by_id=signer, at=appointment.ends_at) for text in addenda
        ],
        **fields,
    )
    return persist(app, note)


def _therapist_of(app, appointment) -> int:
    from intake.extensions import db
    from intake.models import Provider

    with app.app_context():
        return db.session.get(Provider, appointment.provider_id).user_id
