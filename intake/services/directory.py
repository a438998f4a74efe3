"""The provider directory: every provider, optionally ordered by distance from a place."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.geo import Place, Point, UnknownPlace, distance_miles, locate
from ..extensions import db
from ..models import Location, Provider, User


@dataclass(frozen=True)
class ProviderCard:
    provider: Provider
    miles: float | None = None
    nearest: Location | None = None


@dataclass(frozen=True)
class Directory:
    cards: list[ProviderCard]
    place: Place | None = None
    unknown_place: str | None = None


def listed():
    """Providers patients can see and book: those whose staff account is active."""
    return select(Provider).join(Provider.user).where(User.active)


def provider_directory(near: str = "") -> Directory:
    providers = db.session.scalars(
        listed().options(selectinload(Provider.locations)).order_by(Provider.display_name)
    ).all()
    near = near.strip()
    if not near:
        return Directory([ProviderCard(p) for p in providers])
    try:
        place = locate(near)
    except UnknownPlace:
        return Directory([ProviderCard(p) for p in providers], unknown_place=near[:100])
    cards = [_card_near(p, place.point) for p in providers]
    # Providers without a location cannot be reached: they go last, in name order.
    cards.sort(key=lambda c: (c.miles is None, c.miles or 0.0, c.provider.display_name))
    return Directory(cards, place=place)


def _card_near(provider: Provider, point: Point) -> ProviderCard:
    by_distance = sorted(
        (distance_miles(point, Point(loc.latitude, loc.longitude)), loc.name, loc)
        for loc in provider.locations
    )
    if not by_distance:
        return ProviderCard(provider)
    miles, _, location = by_distance[0]
    return ProviderCard(provider, miles, location)


def provider_profile(slug: str) -> Provider | None:
    return db.session.scalars(
        listed()
        .where(Provider.slug == slug)
        .options(selectinload(Provider.locations), selectinload(Provider.working_hours))
    ).first()
