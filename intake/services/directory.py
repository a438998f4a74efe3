"""The provider directory: every listed provider, optionally ordered by distance from a place.

It works on the public snapshot (services/public_cache.py), not on ORM rows, so a warm page
reads nothing from the database."""

from collections.abc import Sequence
from dataclasses import dataclass

from ..domain.geo import Place, Point, UnknownPlace, distance_miles, locate
from .public_cache import PublicLocation, PublicProvider, listed

__all__ = ["Directory", "ProviderCard", "listed", "provider_directory", "provider_profile"]


@dataclass(frozen=True)
class ProviderCard:
    provider: PublicProvider
    miles: float | None = None
    nearest: PublicLocation | None = None


@dataclass(frozen=True)
class Directory:
    cards: list[ProviderCard]
    place: Place | None = None
    unknown_place: str | None = None


def provider_directory(providers: Sequence[PublicProvider], near: str = "") -> Directory:
    """`providers`: the listed ones by name, from the public cache (views/public_data.py)."""
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


def _card_near(provider: PublicProvider, point: Point) -> ProviderCard:
    by_distance = sorted(
        (distance_miles(point, Point(loc.latitude, loc.longitude)), loc.name, loc.id, loc)
        for loc in provider.locations
    )
    if not by_distance:
        return ProviderCard(provider)
    miles, _, _, location = by_distance[0]
    return ProviderCard(provider, miles, location)


def provider_profile(slug: str, by_slug: dict[str, PublicProvider]) -> PublicProvider | None:
    return by_slug.get(slug)
