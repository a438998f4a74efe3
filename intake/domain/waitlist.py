"""The waitlist's rules: parts of the day, what a wish may ask for, and what a freed time fits."""

from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

MAX_SPAN_DAYS = 90  # a wish reaches this far ahead at most


class TimeOfDay(StrEnum):
    MORNING = "morning"  # before noon, on the location's clock
    AFTERNOON = "afternoon"  # noon to 5 pm
    EVENING = "evening"  # 5 pm on


TIME_OF_DAY_WORDS = {
    TimeOfDay.MORNING: "Morning (before 12 noon)",
    TimeOfDay.AFTERNOON: "Afternoon (12 noon to 5 pm)",
    TimeOfDay.EVENING: "Evening (after 5 pm)",
}


def part_of_day(local: time) -> TimeOfDay:
    if local < time(12):
        return TimeOfDay.MORNING
    if local < time(17):
        return TimeOfDay.AFTERNOON
    return TimeOfDay.EVENING


class WishRefused(ValueError):
    """A wish the waitlist cannot take: `field` names what to fix, the message says how."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_wish(first_on: date, last_on: date, times: list[str], today: date) -> None:
    """WishRefused for dates in the past, backwards, too far ahead, or no part of the day."""
    if first_on < today:
        raise WishRefused("first_on", "Please choose a first day from today on.")
    if last_on < first_on:
        raise WishRefused("last_on", "The last day must be on or after the first day.")
    if last_on > today + timedelta(days=MAX_SPAN_DAYS):
        raise WishRefused(
            "last_on", f"Please choose a last day within {MAX_SPAN_DAYS} days from today."
        )
    if not times or any(value not in TimeOfDay.__members__.values() for value in times):
        raise WishRefused("times_of_day", "Please choose at least one part of the day.")


@dataclass(frozen=True)
class Wish:
    """What one waitlist entry asks for; provider None means any provider at the location."""

    provider_id: int | None
    location_id: int
    type_id: int
    first_on: date
    last_on: date
    times_of_day: tuple[str, ...]


def fits(wish: Wish, provider_id: int, location_id: int, type_id: int, local_start) -> bool:
    """Whether a freed start (a datetime on the location's clock) is what the wish asks for.
    Only the same type: a patient waiting for a first visit does not want a follow-up."""
    return (
        wish.location_id == location_id
        and wish.type_id == type_id
        and wish.provider_id in (None, provider_id)
        and wish.first_on <= local_start.date() <= wish.last_on
        and part_of_day(local_start.time()) in wish.times_of_day
    )
