"""The clinic's public directory (locations, listed providers and their hours) as plain frozen
dataclasses: read from the database once, then reused until something public changes.

Why: these are the same for every visitor, and reading them was the only database work on the
public pages. How it stays fresh across gunicorn workers: a commit that changed a location,
provider, working hours, appointment type or a staff account's `active` flag replaces a stamp
file in the instance folder (`PublicDataCache.mark_changed`, called by the session hook in
views/public_data.py, so every write path is covered, admin pages and commands alike). Each
request compares the stamp's identity (one os.stat, microseconds) with the one the snapshot
was built under, and rebuilds when it differs. No ORM rows are kept: they would be detached
from their session and stale."""

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cache
from pathlib import Path
from time import monotonic
from typing import Any, TypeVar

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import contains_eager, selectinload

from ..domain.providers import attested_until, still_attested
from ..extensions import db
from ..formatting import phone_display
from ..models import AppointmentType, Location, Provider, User, WorkingHours

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PublicLocation:
    id: int
    name: str
    slug: str
    address: str
    city: str
    state: str
    zip_code: str
    phone: str  # E.164, for tel: links
    phone_display: str  # as people read it; formatted once, not on every page
    latitude: float
    longitude: float
    timezone: str  # the slot page's times are this location's

    one_line_address = Location.one_line_address  # the model's own words, from the same fields


@dataclass(frozen=True)
class PublicType:
    """An appointment type patients may book (an active one)."""

    id: int
    name: str
    slug: str
    duration_minutes: int
    buffer_after_minutes: int
    involves_dry_needling: bool


@dataclass(frozen=True)
class PublicHours:
    location_id: int
    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class PublicProvider:
    id: int
    slug: str
    display_name: str
    credentials: str
    training_hours: int
    bio: str
    accepting_new_patients: bool
    locations: tuple[PublicLocation, ...]  # by name
    working_hours: tuple[PublicHours, ...]  # by weekday and start
    training_course: str = ""
    training_completed_on: date | None = None
    attested_on: date | None = None
    attested_until: date | None = None  # the first day the attestation no longer counts
    user_id: int | None = None  # the therapist's staff account: never shown, for their schedule
    account_email: str = ""  # that account's: never shown, the booking emails' recipient

    @property
    def location_names(self) -> str:
        return ", ".join(loc.name for loc in self.locations)

    def offers_needling(self, today: date) -> bool:
        """Bookable for dry needling: the attestation of competence counts today."""
        return still_attested(self.attested_until, today)


@dataclass(frozen=True)
class PublicProviders:
    listed: tuple[PublicProvider, ...]  # by display name
    by_slug: dict[str, PublicProvider] = field(default_factory=dict)
    by_user: dict[int, PublicProvider] = field(default_factory=dict)


def listed():
    """Providers patients can see and book: those whose staff account is active."""
    return select(Provider).join(Provider.user).where(User.active)


def load_public_locations() -> tuple[PublicLocation, ...]:
    """Every location, by name: the footer's list. One query on a cold cache."""
    return tuple(
        _public_location(loc)
        for loc in db.session.scalars(select(Location).order_by(Location.name))
    )


def load_public_providers(attestation_valid_for: timedelta) -> PublicProviders:
    """The listed providers with their locations and hours: three queries on a cold cache.
    Apart from the footer's list, so that a staff page's footer does not read them."""
    listed_providers = tuple(
        PublicProvider(
            id=p.id,
            slug=p.slug,
            display_name=p.display_name,
            credentials=p.credentials,
            training_hours=p.training_hours,
            bio=p.bio,
            accepting_new_patients=p.accepting_new_patients,
            locations=tuple(_public_location(loc) for loc in p.locations),
            working_hours=tuple(
                PublicHours(h.location_id, h.weekday, h.starts, h.ends) for h in p.working_hours
            ),
            training_course=p.training_course,
            training_completed_on=p.training_completed_on,
            attested_on=p.attested_on,
            attested_until=attested_until(p.attested_on, attestation_valid_for),
            user_id=p.user_id,
            account_email=p.user.email,
        )
        for p in db.session.scalars(
            listed()
            .options(
                contains_eager(Provider.user),
                selectinload(Provider.locations),
                selectinload(Provider.working_hours),
            )
            .order_by(Provider.display_name)
        )
    )
    return PublicProviders(
        listed_providers,
        {p.slug: p for p in listed_providers},
        {p.user_id: p for p in listed_providers},
    )


def load_provider_names() -> tuple[tuple[int, str], ...]:
    """(id, display name) of every provider, listed or not, by name: the staff filters'
    choices (a deactivated therapist's visits are still looked for by their name)."""
    names = select(Provider.id, Provider.display_name).order_by(Provider.display_name)
    return tuple((provider_id, name) for provider_id, name in db.session.execute(names))


def _public_location(loc: Location) -> PublicLocation:
    return PublicLocation(
        loc.id,
        loc.name,
        loc.slug,
        loc.address,
        loc.city,
        loc.state,
        loc.zip_code,
        loc.phone,
        phone_display(loc.phone),
        loc.latitude,
        loc.longitude,
        loc.timezone,
    )


def load_public_types() -> tuple[PublicType, ...]:
    """The active appointment types, by id (the order booking lists them in)."""
    return tuple(
        PublicType(
            t.id,
            t.name,
            t.slug,
            t.duration_minutes,
            t.buffer_after_minutes,
            t.involves_dry_needling,
        )
        for t in db.session.scalars(active_types_query())
    )


@cache  # built once: every booking runs it
def active_types_query() -> Select:
    """The appointment types patients may book, by id: the order booking lists them in."""
    return select(AppointmentType).where(AppointmentType.active).order_by(AppointmentType.id)


PUBLIC_MODELS = (Location, Provider, WorkingHours, AppointmentType)


def touches_public_data(session) -> bool:
    """Whether the pending changes of a session alter what the public pages show. A user
    counts when removed, (de)activated or given another email: `listed()` shows only active
    staff accounts, and booking emails reach a therapist at the snapshot's address (a new
    user is listed only once a new provider profile, a change itself, links to them)."""
    for obj in session.new:
        if isinstance(obj, PUBLIC_MODELS):
            return True
    for obj in session.deleted:
        if isinstance(obj, (*PUBLIC_MODELS, User)):
            return True
    for obj in session.dirty:  # dirty may mean "touched": ask for a net change
        if isinstance(obj, PUBLIC_MODELS) and session.is_modified(obj):
            return True
        if isinstance(obj, User) and _changed(inspect(obj).attrs, ("active", "email")):
            return True
    return False


def _changed(attributes, names: tuple[str, ...]) -> bool:
    return any(getattr(attributes, name).history.has_changes() for name in names)


class PublicDataCache:
    """Snapshots by name, one per process, valid while the stamp file is the one they were
    built under, and for `max_age` seconds at most: a change the hook cannot see (psql, a
    restore, a stamp that could not be written) shows within that time anyway."""

    def __init__(self, stamp: Path, max_age: float = 300.0, max_pages: int = 256):
        self.stamp = stamp
        self.max_age = max_age
        self.max_pages = max_pages  # one per directory search typed: bounded whatever is typed
        self._held: dict[str, tuple[tuple | None, float, Any]] = {}
        self._pages: dict[str, tuple[tuple | None, float, str]] = {}

    def current(self, name: str, load: Callable[[], T]) -> T:
        seen = self._stamp_identity()  # read before loading: a change meanwhile means reload
        held = self._held.get(name)
        if self._fresh(held, seen):
            return held[2]
        built_at = monotonic()
        snapshot = load()
        self._held[name] = (seen, built_at, snapshot)
        return snapshot

    def page(self, key: str, render: Callable[[], tuple[Any, bool]]) -> Any:
        """A page the same for every visitor, by key (its address): rendered again only when
        public data changed. render() gives (what the view returns, whether it may be kept)."""
        seen = self._stamp_identity()
        held = self._pages.get(key)
        if self._fresh(held, seen):
            return held[2]
        built_at = monotonic()
        page, keep = render()
        if keep:
            if len(self._pages) >= self.max_pages:
                self._pages = {}
            self._pages[key] = (seen, built_at, page)
        return page

    def _fresh(self, held: tuple | None, seen: tuple | None) -> bool:
        return held is not None and held[0] == seen and monotonic() - held[1] < self.max_age

    def mark_changed(self) -> None:
        """Replace the stamp with a new file: a new inode, so even two changes within one
        tick of the file system's clock give a different identity."""
        self._held, self._pages = {}, {}  # this process knows at once, even unwritten
        try:
            self.stamp.parent.mkdir(parents=True, exist_ok=True)
            fresh = self.stamp.with_name(f"{self.stamp.name}.{secrets.token_hex(6)}")
            fresh.write_text(secrets.token_hex(8))
            os.replace(fresh, self.stamp)
        except OSError as error:
            log.error("public data stamp not written; other workers lag up to max_age: %s", error)

    def _stamp_identity(self) -> tuple | None:
        try:
            found = os.stat(self.stamp)
        except OSError:  # not written yet (or cannot be): max_age still renews the snapshot
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)
