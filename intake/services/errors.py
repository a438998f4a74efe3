"""Every refusal of a booking or of a change to one, each with a sentence the reader can act on."""

from datetime import datetime


class BookingError(ValueError):
    """A request we cannot take, with a sentence the patient (or staff member) can act on."""


class SlotTaken(BookingError):
    """Someone holds that time now; the next free starts are offered instead."""

    def __init__(self, message: str, next_free: list[datetime]):
        super().__init__(message)
        self.next_free = next_free


class NotReady(BookingError):
    """A step before booking is missing (intake, screening, consent)."""

    def __init__(self, step):
        super().__init__(step.message)
        self.step = step


class TooLate(BookingError):
    """Within the cut-off the clinic wants a phone call, not a click."""


class ChangedMeanwhile(BookingError):
    """Someone changed the appointment after the page showing it was loaded; nothing was
    applied. `appointment` is the visit as it stands now, for the page to show."""

    STAFF = (
        "Someone else changed this request while you were looking at it. "
        "Here it is as it stands now; nothing you did was applied."
    )
    PATIENT = "This appointment changed meanwhile; here it is as it stands now."

    def __init__(self, appointment=None, message: str = STAFF):
        super().__init__(message)
        self.appointment = appointment


class ActionRefused(BookingError):
    """A staff action that does not fit the request as it stands; the message says why."""


class SafetyRefused(ActionRefused):
    """A visit that fails a safety check (consent, screening, review); `failures` lists each
    check that failed, with its sentence."""

    def __init__(self, message: str, failures: tuple = ()):
        super().__init__(message)
        self.failures = failures


class ReviewNeeded(SafetyRefused):
    """Precautions that a therapist has not cleared (and nothing else failed)."""


class ScheduleError(ValueError):
    """A change to a therapist's schedule they cannot make, with a sentence saying why."""


class NotTakingNewPatients(BookingError):
    """The provider sees only patients who have had a visit with them."""


class NotAttested(ActionRefused):
    """Dry needling with a provider whose attestation of competence is not current; other
    types of visit are still open. An ActionRefused, so staff pages show it as one."""
