"""The provider directory: every listed provider, optionally ordered by distance from a place.

It works on the public snapshot (services/public_cache.py), not on ORM rows, so a warm page
reads nothing from the database."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from ..domain.geo import Place, Point, UnknownPlace, distance_miles, locate
from .public_cache import PublicLocation, PublicProvider, listed

__all__ = [
    "Directory",
    "ProviderCard",
    "listed",
    "nearby_taking_new_patients",
    "provider_directory",
    "provider_profile",
]
# How far another provider's clinic may be to count as near the same place.
NEARBY_MILES = 30.0


@dataclass(frozen=True)
class ProviderCard:
    provider: PublicProvider
    miles: float | None = None
    nearest: PublicLocation | None = None
    offers_needling: bool = True  # their attestation of competence counts today


@dataclass(frozen=True)
class Directory:
    cards: list[ProviderCard]
    place: Place | None = None
    unknown_place: str | None = None


def provider_directory(
    providers: Sequence[PublicProvider], near: str = "", today: date | None = None
) -> Directory:
    """`providers`: the listed ones by name, from the public cache (views/public_data.py);
    with `today`, each card says whether the provider offers dry needling that day."""
    directory = _directory(providers, near.strip())
    if today is None:
        return directory
    cards = [replace(c, offers_needling=c.provider.offers_needling(today)) for c in directory.cards]
    return replace(directory, cards=cards)


def _directory(providers: Sequence[PublicProvider], near: str) -> Directory:
    if not near:
        return Directory([ProviderCard(p) for p in providers])
    # A city alone is read in the clinic's state when every clinic is in one.
    states = {location.state.upper() for p in providers for location in p.locations}
    try:
        place = locate(near, home_state=states.pop() if len(states) == 1 else "")
    except UnknownPlace:
        return Directory([ProviderCard(p) for p in providers], unknown_place=near[:100])
    cards = [_card_near(p, place.point) for p in providers]
    # Providers without a location cannot be reached: they go last, in name order.
    cards.sort(key=lambda c: (c.miles is None, c.miles or 0.0, c.provider.display_name))
    return Directory(cards, place=place)


def nearby_taking_new_patients(
    closed: PublicProvider,
    providers: Sequence[PublicProvider],
    today: date,
    limit: int = 3,
) -> list[ProviderCard]:
    """Other providers taking new patients at or near the places `closed` works, nearest
    first (a shared location is 0 miles away); those offering dry needling today first."""
    cards = []
    for other in providers:
        if other.id == closed.id or not other.accepting_new_patients:
            continue
        found = min(
            (
                (_miles_between(mine, theirs), theirs.name, theirs.id, theirs)
                for mine in closed.locations
                for theirs in other.locations
            ),
            default=None,
        )
        if found is not None and found[0] <= NEARBY_MILES:
            cards.append(ProviderCard(other, found[0], found[3], other.offers_needling(today)))
    cards.sort(key=lambda c: (not c.offers_needling, c.miles, c.provider.display_name))
    return cards[:limit]


def _miles_between(a: PublicLocation, b: PublicLocation) -> float:
    if a.id == b.id:
        return 0.0
    return distance_miles(Point(a.latitude, a.longitude), Point(b.latitude, b.longitude))


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
