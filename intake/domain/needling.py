"""The needling session note: what a therapist records after each dry-needling visit, the
adverse events it may name, and which of them are serious enough to alert the admins at once."""

from collections.abc import Iterable
from enum import StrEnum

from .questionnaire import PAIN_AREAS, Choice

# The note names regions from the intake's own table ("calf_shin:right"), so staff read one
# vocabulary from the patient's first answer to the last note.
REGIONS = PAIN_AREAS
MAX_NEEDLES = 200


class Tolerance(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


TOLERANCES = (
    Choice(Tolerance.GOOD, "Good"),
    Choice(Tolerance.FAIR, "Fair"),
    Choice(Tolerance.POOR, "Poor"),
)


class AdverseEventKind(StrEnum):
    """An event a note records; "none" is the therapist saying so, never stored as an event."""

    BRUISING = "bruising"
    BLEEDING = "bleeding"
    FAINTING = "fainting"
    SORENESS = "soreness"
    PNEUMOTHORAX = "pneumothorax"
    OTHER = "other"


NONE = "none"
ADVERSE_EVENTS = (
    Choice(NONE, "None"),
    Choice(AdverseEventKind.BRUISING, "Bruising"),
    Choice(AdverseEventKind.BLEEDING, "Bleeding needing pressure"),
    Choice(AdverseEventKind.FAINTING, "Fainting"),
    Choice(AdverseEventKind.SORENESS, "Excessive soreness"),
    Choice(AdverseEventKind.PNEUMOTHORAX, "Suspected pneumothorax"),
    Choice(AdverseEventKind.OTHER, "Other"),
)
_LABELS = {choice.value: choice.label for choice in (*ADVERSE_EVENTS, *TOLERANCES, *REGIONS)}
# A suspected pneumothorax needs emergency care within hours; fainting may hide a fall or a
# heart event. "Other" is an event nobody has classified yet, so an admin looks at it too.
SERIOUS = frozenset(
    {AdverseEventKind.PNEUMOTHORAX, AdverseEventKind.FAINTING, AdverseEventKind.OTHER}
)


def label(value: str) -> str:
    """A stored key (region, tolerance, event) in words; an unknown key as itself."""
    return _LABELS.get(value, value.replace("_", " ").capitalize())


def is_serious(kind: str) -> bool:
    return kind in SERIOUS


def serious(kinds: Iterable[str]) -> list[str]:
    """The serious events among these, in the catalogue's order."""
    chosen = set(kinds)
    return [c.value for c in ADVERSE_EVENTS if c.value in chosen and is_serious(c.value)]


def events_problem(chosen: Iterable[str], other_text: str) -> str | None:
    """What is wrong with the adverse events ticked, in words; None when they make sense."""
    chosen = set(chosen)
    if not chosen:
        return "Tick the adverse events seen, or None."
    if NONE in chosen and len(chosen) > 1:
        return "None cannot be ticked together with an adverse event."
    if AdverseEventKind.OTHER in chosen and not other_text.strip():
        return "Describe the other adverse event."
    if other_text.strip() and AdverseEventKind.OTHER not in chosen:
        return "Tick Other when you describe an adverse event."
    return None


def recorded_events(chosen: Iterable[str]) -> list[AdverseEventKind]:
    """The events to store: every one ticked but None."""
    chosen = set(chosen)
    return [
        AdverseEventKind(c.value) for c in ADVERSE_EVENTS if c.value in chosen and c.value != NONE
    ]
