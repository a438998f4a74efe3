"""Who on the staff may see which patient's records."""

from sqlalchemy import exists, select

from ..extensions import db
from ..models import Appointment, Provider, User
from ..permissions import Role


def may_see_patient(viewer: User, patient_id: int) -> bool:
    """Front desk and admins see every patient; a therapist only those booked with them."""
    if viewer.role in (Role.ADMIN, Role.FRONT_DESK):
        return True
    if viewer.role != Role.THERAPIST:
        return viewer.id == patient_id
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Appointment.patient_id == patient_id,
                    Appointment.provider_id == Provider.id,
                    Provider.user_id == viewer.id,
                )
            )
        )
    )
