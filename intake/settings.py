"""The clinic's rules from configuration as one plain value that services take as an argument.
Views and commands build it with config.current_settings(); nothing here knows of Flask."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from typing import ClassVar


@dataclass(frozen=True)
class ClinicSettings:
    clinic_name: str
    clinic_phone: str
    clinic_email: str
    front_desk_email: str
    timezone: str  # the clinic's own zone; a location may have another
    consent_max_age: timedelta  # how long a signed consent counts for booking
    attestation_valid_for: timedelta  # how long an attestation of needling competence counts
    slot_grid_minutes: int
    booking_notice: timedelta  # earliest a patient can book online
    booking_horizon_days: int  # latest
    cancel_cutoff: timedelta  # later than this, patients call the clinic
    reminder_lead: timedelta
    password_reset_max_age: int  # seconds
    invitation_max_age: int  # seconds
    # An urgent request or callback waiting longer than this, in working hours, is highlighted.
    urgent_callback_working_hours: float = 2
    callback_promise: str = "within one working day"  # what patients are told of the call
    check_in_delay: timedelta = timedelta(hours=24)  # after a needling visit is completed
    check_in_link_life: timedelta = timedelta(days=7)  # the check-in email's link works this long
    waitlist_offers_at_once: int = 2  # how many waiting patients one freed time is offered to
    waitlist_offer_life: timedelta = timedelta(hours=2)  # an offer can be claimed this long
    base_url: str = ""  # the root of links in emails (INTAKE_BASE_URL)
    # A forms link works this long at most, and never past the start of its visit.
    forms_link_life: timedelta = timedelta(days=7)
    secret_key: str = field(repr=False, default="")
    # The address emails come from (MAIL_DEFAULT_SENDER's), the calendar files' ORGANIZER.
    sender_email: str = ""
    # A patient's visit page, absolute, with "{id}" for the visit's number; "" links nowhere.
    visit_url: str = ""

    def visit_link(self, appointment_id: int) -> str:
        return self.visit_url.replace("{id}", str(int(appointment_id))) if self.visit_url else ""

    # Every configuration key from_config reads: current_settings keeps one per set of their
    # values, and hands from_config only these (a key missing here fails at once).
    CONFIG_KEYS: ClassVar[tuple[str, ...]] = (
        "INTAKE_CLINIC_NAME",
        "INTAKE_CLINIC_PHONE",
        "INTAKE_CLINIC_EMAIL",
        "INTAKE_FRONT_DESK_EMAIL",
        "INTAKE_TIMEZONE",
        "INTAKE_CONSENT_MAX_AGE_DAYS",
        "INTAKE_ATTESTATION_VALID_DAYS",
        "INTAKE_SLOT_GRID_MINUTES",
        "INTAKE_BOOKING_NOTICE_HOURS",
        "INTAKE_BOOKING_HORIZON_DAYS",
        "INTAKE_CANCEL_CUTOFF_HOURS",
        "INTAKE_REMINDER_HOURS",
        "INTAKE_PASSWORD_RESET_MAX_AGE",
        "INTAKE_INVITATION_MAX_AGE",
        "INTAKE_URGENT_CALLBACK_WORKING_HOURS",
        "INTAKE_CALLBACK_PROMISE",
        "INTAKE_CHECK_IN_HOURS",
        "INTAKE_CHECK_IN_LINK_DAYS",
        "INTAKE_WAITLIST_OFFERS_AT_ONCE",
        "INTAKE_WAITLIST_OFFER_HOURS",
        "INTAKE_BASE_URL",
        "INTAKE_FORMS_LINK_DAYS",
        "SECRET_KEY",
        "MAIL_DEFAULT_SENDER",
    )

    @classmethod
    def from_config(cls, config: Mapping) -> "ClinicSettings":
        return cls(
            clinic_name=config["INTAKE_CLINIC_NAME"],
            clinic_phone=config["INTAKE_CLINIC_PHONE"],
            clinic_email=config["INTAKE_CLINIC_EMAIL"],
            front_desk_email=config["INTAKE_FRONT_DESK_EMAIL"],
            timezone=config["INTAKE_TIMEZONE"],
            consent_max_age=timedelta(days=config["INTAKE_CONSENT_MAX_AGE_DAYS"]),
            attestation_valid_for=timedelta(days=config["INTAKE_ATTESTATION_VALID_DAYS"]),
            slot_grid_minutes=config["INTAKE_SLOT_GRID_MINUTES"],
            booking_notice=timedelta(hours=config["INTAKE_BOOKING_NOTICE_HOURS"]),
            booking_horizon_days=config["INTAKE_BOOKING_HORIZON_DAYS"],
            cancel_cutoff=timedelta(hours=config["INTAKE_CANCEL_CUTOFF_HOURS"]),
            reminder_lead=timedelta(hours=config["INTAKE_REMINDER_HOURS"]),
            password_reset_max_age=config["INTAKE_PASSWORD_RESET_MAX_AGE"],
            invitation_max_age=config["INTAKE_INVITATION_MAX_AGE"],
            urgent_callback_working_hours=float(config["INTAKE_URGENT_CALLBACK_WORKING_HOURS"]),
            callback_promise=config["INTAKE_CALLBACK_PROMISE"],
            check_in_delay=timedelta(hours=config["INTAKE_CHECK_IN_HOURS"]),
            check_in_link_life=timedelta(days=config["INTAKE_CHECK_IN_LINK_DAYS"]),
            waitlist_offers_at_once=int(config["INTAKE_WAITLIST_OFFERS_AT_ONCE"]),
            waitlist_offer_life=timedelta(hours=float(config["INTAKE_WAITLIST_OFFER_HOURS"])),
            base_url=config["INTAKE_BASE_URL"],
            forms_link_life=timedelta(days=config["INTAKE_FORMS_LINK_DAYS"]),
            secret_key=config["SECRET_KEY"],
            sender_email=parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1],
        )
