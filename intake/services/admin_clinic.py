"""The clinic's settings: locations, providers and appointment types, each change audited."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..domain.geo import UnknownPlace, locate
from ..domain.providers import attested_until, still_attested
from ..extensions import db
from ..models import (
    AppointmentType,
    ConsentVersion,
    Location,
    Provider,
    User,
    WorkingHours,
)
from ..permissions import STAFF_ROLES, Role
from ..settings import ClinicSettings
from . import audit
from .admin_common import AdminRefused, commit_change, taken
from .eligibility import clinic_day


def overview() -> dict[str, int]:
    """The numbers on the administration home page."""

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "locations": count(Location),
        "providers": count(Provider),
        "types": count(AppointmentType, AppointmentType.active),
        "drafts": count(ConsentVersion, ConsentVersion.published_at.is_(None)),
        "staff": count(User, User.role.in_(STAFF_ROLES), User.active),
    }


# --- locations ------------------------------------------------------------------------


def locations() -> list[Location]:
    return list(
        db.session.scalars(
            select(Location).options(selectinload(Location.providers)).order_by(Location.name)
        )
    )


def save_location(location: Location | None, values: dict, actor: User) -> Location:
    """Create (location None) or update; the map position comes from the ZIP code."""
    location = location or Location()
    if taken(Location, "slug", values["slug"], location.id):
        raise AdminRefused("Another location already uses this slug.", "slug")
    if taken(Location, "name", values["name"], location.id, any_case=True):
        raise AdminRefused("Another location already has this name: patients choose by it.", "name")
    try:
        point = locate(values["zip_code"]).point
    except UnknownPlace as error:
        raise AdminRefused("We do not know this ZIP code. Please check it.", "zip_code") from error
    for name, value in values.items():
        setattr(location, name, value)
    location.latitude, location.longitude = point.latitude, point.longitude
    commit_change(location, actor, "location", AdminRefused("That slug was just taken.", "slug"))
    return location


# --- providers ------------------------------------------------------------------------


def providers() -> list[Provider]:
    return list(
        db.session.scalars(
            select(Provider)
            .options(selectinload(Provider.user), selectinload(Provider.locations))
            .order_by(Provider.display_name)
        )
    )


def provider(provider_id: int) -> Provider | None:
    return db.session.scalars(
        select(Provider)
        .where(Provider.id == provider_id)
        .options(
            selectinload(Provider.user),
            selectinload(Provider.attested_by),
            selectinload(Provider.locations),
            selectinload(Provider.working_hours).selectinload(WorkingHours.location),
        )
    ).first()


def therapist_choices(current: Provider | None = None) -> list[User]:
    """Active therapists without a provider profile, and the profile's own user if any."""
    free = and_(User.role == Role.THERAPIST, User.active, Provider.id.is_(None))
    mine = User.id == current.user_id if current is not None else false()
    return list(
        db.session.scalars(
            select(User)
            .outerjoin(Provider, Provider.user_id == User.id)
            .where(or_(free, mine))
            .order_by(User.last_name, User.first_name)
        )
    )


def save_provider(
    provider: Provider | None, values: dict, location_ids: list[int], actor: User
) -> Provider:
    """Create or update a provider profile linked to a therapist account."""
    provider = provider or Provider()
    eligible = therapist_choices(provider if provider.id is not None else None)
    if values["user_id"] not in {user.id for user in eligible}:
        raise AdminRefused("Choose one of the therapists listed.", "user_id")
    if taken(Provider, "slug", values["slug"], provider.id):
        raise AdminRefused("Another provider already uses this slug.", "slug")
    chosen = list(db.session.scalars(select(Location).where(Location.id.in_(location_ids))))
    if len(chosen) != len(set(location_ids)):
        raise AdminRefused("One of those locations no longer exists.", "location_ids")
    if provider.id is not None:
        _keep_locations_with_hours(provider, {loc.id for loc in chosen})
    for name, value in values.items():
        setattr(provider, name, value)
    provider.locations = chosen
    commit_change(
        provider,
        actor,
        "provider",
        AdminRefused("That therapist or slug was just linked to another profile.", "slug"),
    )
    return provider


def _keep_locations_with_hours(provider: Provider, kept: set[int]) -> None:
    """Working hours belong to the therapist; removing their place would orphan them."""
    hours = provider.working_hours
    stranded = sorted({h.location.name for h in hours if h.location_id not in kept})
    if stranded:
        raise AdminRefused(
            f"{provider.display_name} still has working hours at {', '.join(stranded)}. "
            "Those hours must be removed on the therapist's schedule page first.",
            "location_ids",
        )


@dataclass(frozen=True)
class AttestationState:
    attested_on: date | None
    attested_by: str  # the admin's name, "" when none
    until: date | None  # the first day it no longer counts
    current: bool


def attestation_state(
    provider: Provider, settings: ClinicSettings, now: datetime
) -> AttestationState:
    until = attested_until(provider.attested_on, settings.attestation_valid_for)
    return AttestationState(
        provider.attested_on,
        provider.attested_by.full_name if provider.attested_by else "",
        until,
        still_attested(until, clinic_day(now, settings)),
    )


def record_attestation(
    provider: Provider, actor: User, *, settings: ClinicSettings, now: datetime
) -> Provider:
    """The admin attests the provider's dry-needling competence today, in their own name."""
    provider.attested_on = clinic_day(now, settings)
    provider.attested_by_id = actor.id
    db.session.flush()
    audit.record(
        "attestation_recorded", actor_id=actor.id, object_type="provider", object_id=provider.id
    )
    db.session.commit()
    return provider


# --- appointment types ----------------------------------------------------------------


def appointment_types() -> list[AppointmentType]:
    return list(
        db.session.scalars(
            select(AppointmentType).order_by(AppointmentType.active.desc(), AppointmentType.name)
        )
    )


def save_type(kind: AppointmentType | None, values: dict, actor: User) -> AppointmentType:
    """Create or update; a type is never deleted, only made inactive, so visits keep it."""
    kind = kind or AppointmentType()
    if taken(AppointmentType, "slug", values["slug"], kind.id):
        raise AdminRefused("Another appointment type already uses this slug.", "slug")
    if taken(AppointmentType, "name", values["name"], kind.id, any_case=True):
        raise AdminRefused(
            "Another appointment type already has this name: patients choose by it.", "name"
        )
    for name, value in values.items():
        setattr(kind, name, value)
    commit_change(
        kind, actor, "appointment_type", AdminRefused("That slug was just taken.", "slug")
    )
    return kind
