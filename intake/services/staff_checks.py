"""What a staff action checks first: the place and a free time (safety checks: confirmation.py)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Appointment, Provider
from ..settings import ClinicSettings
from .errors import ActionRefused, BookingError, SlotTaken
from .free_times import SlotChoice, check_free, next_free, staff_rules


def reason_text(reason: str) -> str:
    return " ".join(reason.split())[:500]


def place(provider_id: int, location_id: int):
    provider = db.session.scalars(
        select(Provider).where(Provider.id == provider_id).options(selectinload(Provider.locations))
    ).first()
    location = next(
        (loc for loc in (provider.locations if provider else ()) if loc.id == location_id), None
    )
    if location is None:
        raise ActionRefused("Please choose a provider and one of their locations.")
    return provider, location


def still_free(
    appointment: Appointment,
    choice: SlotChoice,
    starts_at: datetime,
    now: datetime,
    settings: ClinicSettings,
) -> None:
    """In the provider's hours, clear of time off and of every other holding appointment.
    Staff are held to the provider's hours, not to the patients' online notice period."""
    if starts_at <= now:
        raise ActionRefused("That time has already passed.")
    rules = staff_rules(choice.type, settings)
    try:
        check_free(choice, starts_at, now, rules, ignore=appointment.id)
    except SlotTaken as taken:
        raise SlotTaken(
            "Another appointment now holds that time.", next_free(choice, starts_at, now, rules)
        ) from taken
    except BookingError as error:
        raise ActionRefused(
            f"That time is outside {choice.provider.display_name}'s working hours at "
            f"{choice.location.name}, or falls in their time off."
        ) from error
