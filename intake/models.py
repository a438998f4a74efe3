"""ORM models: SQLAlchemy 2.0 typed mappings. Models hold data and never commit."""

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import column
from sqlalchemy.types import JSON

from . import database, guards  # noqa: F401 - database installs engine hooks
from .domain.needling import MAX_NEEDLES, AdverseEventKind, Tolerance
from .domain.screening import ScreeningLevel
from .extensions import db
from .permissions import Role


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(db.TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores naive) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            # value.replace(tzinfo=UTC), four times faster: a keyword call parses its
            # arguments, and a page of 50 rows reads 150 of these.
            return datetime.combine(value, value.time(), UTC)
        return value.astimezone(UTC)


def one_of(kind: type[StrEnum], name: str) -> Enum:
    """A column holding one of a StrEnum's values, as VARCHAR(20) under a CHECK named `name`:
    a typo is refused before the INSERT (validate_strings) and by the database itself."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        length=20,
    )


# --- people -------------------------------------------------------------------


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # The patients page lists patients by name: read off the index, a page at a time.
    __table_args__ = (Index("ix_users_role_name", "role", "last_name", "first_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a caller the front desk booked who gave no email; unique among those given
    # (NULLs never collide in a unique constraint, on SQLite as on PostgreSQL).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # "" for an account made by staff for a caller: no password matches it (see accounts.py).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(one_of(Role, "role_known"), default=Role.PATIENT, index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on sign-out, password change, role change and deactivation: every session and
    # remember-me cookie made before then stops working (see get_id).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A patient's contact details, copied from their current intake on every save (E.164).
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    born_on: Mapped[date | None] = mapped_column(index=True)

    provider: Mapped["Provider | None"] = relationship(
        back_populates="user", foreign_keys="Provider.user_id"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember-me cookie; with the version
        # in it, a bump makes every cookie issued before it name nobody (see sessions.py).
        return f"{self.id}:{self.session_version}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def __repr__(self) -> str:  # no personal data: reprs end up in logs
        return f"<User {self.id} {self.role}>"


# --- clinic -------------------------------------------------------------------

provider_locations = Table(
    "provider_locations",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
)


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    address: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    latitude: Mapped[float]
    longitude: Mapped[float]

    providers: Mapped[list["Provider"]] = relationship(
        secondary=provider_locations, back_populates="locations"
    )

    @property
    def one_line_address(self) -> str:
        return f"{self.address}, {self.city}, {self.state} {self.zip_code}"

    def __repr__(self) -> str:
        return f"<Location {self.slug}>"


class Provider(db.Model):
    __tablename__ = "providers"
    __table_args__ = (CheckConstraint("training_hours >= 0", name="training_hours_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(120))
    training_hours: Mapped[int] = mapped_column(Integer, default=0)
    bio: Mapped[str] = mapped_column(Text, default="")
    accepting_new_patients: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Dry-needling training, as the certificate states it.
    training_course: Mapped[str] = mapped_column(String(200), default="", server_default="")
    training_completed_on: Mapped[date | None]
    # An admin's attestation of competence: dry needling is bookable while it is current
    # (domain/providers.py, INTAKE_ATTESTATION_VALID_DAYS).
    attested_on: Mapped[date | None]
    attested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # SHA-256 of the therapist's calendar-feed token; the token itself is shown once.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    user: Mapped[User] = relationship(back_populates="provider", foreign_keys=[user_id])
    attested_by: Mapped[User | None] = relationship(foreign_keys=[attested_by_id])
    locations: Mapped[list[Location]] = relationship(
        secondary=provider_locations, back_populates="providers", order_by=Location.name
    )
    working_hours: Mapped[list["WorkingHours"]] = relationship(
        back_populates="provider",
        cascade="all, delete-orphan",
        order_by="(WorkingHours.weekday, WorkingHours.starts)",
    )

    @property
    def account_email(self) -> str:
        """Where the clinic's emails about their visits reach the therapist."""
        return self.user.email

    def __repr__(self) -> str:
        return f"<Provider {self.slug}>"


class WorkingHours(db.Model):
    """A weekly block a provider works at a location, in that location's wall-clock time."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
        UniqueConstraint("provider_id", "location_id", "weekday", "starts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]  # Monday is 0, as datetime.weekday()
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    provider: Mapped[Provider] = relationship(back_populates="working_hours")
    location: Mapped[Location] = relationship()


# --- intake -------------------------------------------------------------------


class Intake(db.Model):
    """One version of a patient's questionnaire; editing adds a version, never overwrites."""

    __tablename__ = "intakes"
    __table_args__ = (
        UniqueConstraint("patient_id", "version"),
        # At most one current version per patient, enforced by the database.
        Index(
            "uq_intakes_current_per_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    legal_first_name: Mapped[str] = mapped_column(String(100))
    legal_last_name: Mapped[str] = mapped_column(String(100), index=True)
    born_on: Mapped[date]
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    answers: Mapped[dict] = mapped_column(JSON)
    screening: Mapped[dict] = mapped_column(JSON)
    # The most serious screening level, for filtering lists without reading JSON.
    screening_level: Mapped[ScreeningLevel | None] = mapped_column(
        one_of(ScreeningLevel, "screening_level_known"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[User] = relationship()

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    def __repr__(self) -> str:
        return f"<Intake {self.id} v{self.version}>"


# --- consent ------------------------------------------------------------------


class ConsentVersion(db.Model):
    """A consent text. Once published it is frozen: the database refuses changes."""

    __tablename__ = "consent_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(40), unique=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ConsentVersion {self.label}>"


class SignedConsent(db.Model):
    """What a patient agreed to, exactly as shown. Append-only: the database refuses edits."""

    __tablename__ = "signed_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("consent_versions.id"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_relationship: Mapped[str | None] = mapped_column(String(100))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    acknowledged: Mapped[list] = mapped_column(JSON)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(500))

    patient: Mapped[User] = relationship()
    version: Mapped[ConsentVersion] = relationship()
    withdrawal: Mapped["ConsentWithdrawal | None"] = relationship(back_populates="consent")

    def __repr__(self) -> str:
        return f"<SignedConsent {self.id}>"


class ConsentWithdrawal(db.Model):
    """A patient taking their consent back: a record of its own, never an edit of the consent."""

    __tablename__ = "consent_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("signed_consents.id"), unique=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    ip_address: Mapped[str] = mapped_column(String(45))

    consent: Mapped[SignedConsent] = relationship(back_populates="withdrawal")


# --- booking ------------------------------------------------------------------


class AppointmentStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class ReviewOutcome(StrEnum):
    """The therapist's decision on an appointment's precautions."""

    CLEARED = "cleared"
    NOT_SUITABLE = "not_suitable"


# Only these keep the provider's time; the database's no-overlap rule covers just them.
HOLDING_STATUSES = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)


class AppointmentType(db.Model):
    __tablename__ = "appointment_types"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("buffer_after_minutes >= 0", name="buffer_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    duration_minutes: Mapped[int]
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    involves_dry_needling: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<AppointmentType {self.slug}>"


class TimeOff(db.Model):
    __tablename__ = "time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_time_off_provider_span", "provider_id", "starts_at", "ends_at"),
    )


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("ends_at <= blocks_until", name="buffer_after_end"),
        # The provider's day and week: appointments of one provider in a time range.
        Index("ix_appointments_provider_span", "provider_id", "starts_at", "blocks_until"),
        # Only holding appointments take time: free slots and the no-overlap trigger read these.
        Index(
            "ix_appointments_provider_holding",
            "provider_id",
            "starts_at",
            "blocks_until",
            sqlite_where=text("status IN ('requested', 'confirmed')"),
            postgresql_where=text("status IN ('requested', 'confirmed')"),
        ),
        Index("ix_appointments_status_created", "status", "created_at"),
        # The front desk's queue in its order, urgent first then oldest: a page of it is read
        # off the index, 50 entries, never a sort of every request. With a status, and without.
        Index("ix_appointments_queue", "status", column("urgent").desc(), "created_at", "id"),
        Index("ix_appointments_queue_any_status", column("urgent").desc(), "created_at", "id"),
        Index("ix_appointments_patient_starts", "patient_id", "starts_at"),
        # The day's holding visits of every location (the forms-pending list).
        Index(
            "ix_appointments_holding_starts",
            "starts_at",
            sqlite_where=text("status IN ('requested', 'confirmed')"),
            postgresql_where=text("status IN ('requested', 'confirmed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # End of the buffer after the visit: the provider's time is held until then.
    blocks_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        one_of(AppointmentStatus, "status_known"), default=AppointmentStatus.REQUESTED
    )
    patient_note: Mapped[str] = mapped_column(String(1000), default="")
    screening_snapshot: Mapped[dict] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("signed_consents.id"))
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intakes.id"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Therapist review of precautions: cleared or not_suitable, with who, when and why.
    review_outcome: Mapped[ReviewOutcome | None] = mapped_column(
        one_of(ReviewOutcome, "review_outcome_known")
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # Forms pending (services/forms_pending.py): when the intake/consent link was last emailed,
    # and the desk's "completing on paper at arrival", with who said so.
    forms_link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forms_on_paper_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forms_on_paper_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Bumped by every change: calendar SEQUENCE, and a guard against two staff acting at once.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    # Every ORM UPDATE says "WHERE revision = <the one loaded>" and bumps it: a write from a
    # stale row raises StaleDataError instead of silently overwriting someone else's change.
    __mapper_args__: ClassVar[dict] = {"version_id_col": revision}

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    provider: Mapped[Provider] = relationship()
    location: Mapped[Location] = relationship()
    type: Mapped[AppointmentType] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    forms_on_paper_by: Mapped[User | None] = relationship(foreign_keys=[forms_on_paper_by_id])
    consent: Mapped[SignedConsent | None] = relationship()
    events: Mapped[list["AppointmentEvent"]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.at"
    )
    note: Mapped["NeedlingNote | None"] = relationship(back_populates="appointment")

    @property
    def holds_time(self) -> bool:
        return self.status in HOLDING_STATUSES

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status}>"


class AppointmentEvent(db.Model):
    """The history of an appointment: who changed what, when, from and to."""

    __tablename__ = "appointment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[AppointmentStatus | None] = mapped_column(
        one_of(AppointmentStatus, "from_status_known")
    )
    to_status: Mapped[AppointmentStatus | None] = mapped_column(
        one_of(AppointmentStatus, "to_status_known")
    )
    detail: Mapped[str] = mapped_column(String(1000), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CheckIn(db.Model):
    """The day-after check-in of a completed needling visit: made with the aftercare email
    when the visit is completed (one per visit), sent when due, answered once."""

    __tablename__ = "check_ins"
    __table_args__ = (
        CheckConstraint("soreness BETWEEN 0 AND 10", name="soreness_0_to_10"),
        Index("ix_check_ins_due", "sent_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    soreness: Mapped[int | None]
    bruising: Mapped[bool | None]
    dizziness: Mapped[bool | None]
    short_of_breath: Mapped[bool | None]
    chest_pain: Mapped[bool | None]
    dry_cough: Mapped[bool | None]
    comments: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    alarming: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    appointment: Mapped[Appointment] = relationship()
    patient: Mapped[User] = relationship()


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change it reports; sent later."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text)  # the calendar file, as sent
    # The invitation to attach, as values (domain.calendar.as_record): the worker writes `ics`.
    calendar: Mapped[dict | None] = mapped_column(JSON)
    ics_method: Mapped[str | None] = mapped_column(String(10))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(200), default="")


# --- needling notes -------------------------------------------------------------


class NeedlingNote(db.Model):
    """What was done at a dry-needling visit, signed by the therapist. Append-only: the
    database refuses edits; corrections are addenda that keep the original."""

    __tablename__ = "needling_notes"
    __table_args__ = (
        CheckConstraint(f"needle_count BETWEEN 0 AND {MAX_NEEDLES}", name="needle_count_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    regions: Mapped[list] = mapped_column(JSON)  # "region:side" keys of the intake's catalogue
    needle_count: Mapped[int] = mapped_column(Integer)
    tolerance: Mapped[Tolerance] = mapped_column(one_of(Tolerance, "tolerance_known"))
    twitch_response: Mapped[bool] = mapped_column(Boolean)
    other_event: Mapped[str] = mapped_column(String(500), default="")  # health data
    aftercare: Mapped[str] = mapped_column(Text)  # health data
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    appointment: Mapped[Appointment] = relationship(back_populates="note")
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    signed_by: Mapped[User] = relationship(foreign_keys=[signed_by_id])
    events: Mapped[list["AdverseEvent"]] = relationship(
        back_populates="note", order_by="AdverseEvent.id"
    )
    addenda: Mapped[list["NeedlingAddendum"]] = relationship(
        back_populates="note", order_by="(NeedlingAddendum.at, NeedlingAddendum.id)"
    )

    def __repr__(self) -> str:
        return f"<NeedlingNote {self.id}>"


class AdverseEvent(db.Model):
    """One adverse event a signed note names, a row each so the register counts them in SQL.
    Part of the signed note: append-only too."""

    __tablename__ = "adverse_events"
    __table_args__ = (Index("ix_adverse_events_occurred", "occurred_at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("needling_notes.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    kind: Mapped[AdverseEventKind] = mapped_column(one_of(AdverseEventKind, "adverse_kind_known"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the visit's start
    # A serious event's follow-up: the callback it opened (or joined) when it was recorded.
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    # An event found after the visit: the addendum that reported it (None: named at signing).
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("needling_addenda.id"))

    note: Mapped[NeedlingNote] = relationship(back_populates="events")


class NeedlingAddendum(db.Model):
    """A correction or addition to a signed note; the note itself stays as signed."""

    __tablename__ = "needling_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("needling_notes.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    note: Mapped[NeedlingNote] = relationship(back_populates="addenda")
    by: Mapped[User] = relationship()


# --- callbacks ----------------------------------------------------------------


class CallbackStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CallbackSource(StrEnum):
    INTAKE = "intake"  # the patient's screening answers
    CHECK_IN = "check_in"  # an alarming answer after a visit
    ADVERSE_EVENT = "adverse_event"  # a serious adverse event in a signed session note


class CallbackOutcome(StrEnum):
    """How the front desk closed a callback."""

    CLEARED = "cleared_to_book"
    NOT_SUITABLE = "not_suitable"
    REFERRED = "referred_to_doctor"
    UNREACHABLE = "could_not_reach"
    OTHER = "other"


class CallOutcome(StrEnum):
    SPOKE = "spoke_with_patient"
    LEFT_MESSAGE = "left_message"
    NO_ANSWER = "no_answer"


class Callback(db.Model):
    """A patient the clinic must call, opened by their answers whether or not they book."""

    __tablename__ = "callbacks"
    __table_args__ = (
        # One open callback per patient: later answers update it instead of adding another.
        Index(
            "uq_callbacks_open_per_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The desk's list in its order, urgent first then oldest, read off the index.
        Index("ix_callbacks_list", "status", column("urgent").desc(), "opened_at", "id"),
        CheckConstraint(
            "(status = 'open') = (closed_at IS NULL AND outcome IS NULL)",
            name="closed_with_outcome",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # a red flag: call today
    blocks_booking: Mapped[bool] = mapped_column(Boolean, default=False)  # an absolute finding
    # Screening rule keys (domain/screening.py); the words come from the rules, never stored.
    finding_keys: Mapped[list] = mapped_column(JSON)
    source: Mapped[CallbackSource] = mapped_column(
        one_of(CallbackSource, "callback_source_known"), default=CallbackSource.INTAKE
    )
    status: Mapped[CallbackStatus] = mapped_column(
        one_of(CallbackStatus, "callback_status_known"), default=CallbackStatus.OPEN
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[CallbackOutcome | None] = mapped_column(
        one_of(CallbackOutcome, "callback_outcome_known")
    )
    outcome_note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    def __repr__(self) -> str:
        return f"<Callback {self.id} {self.status}>"


class CallLog(db.Model):
    """One phone call to a patient: outcome, advice, who and when. Append-only."""

    __tablename__ = "call_logs"
    __table_args__ = (
        CheckConstraint(
            "callback_id IS NOT NULL OR appointment_id IS NOT NULL", name="about_something"
        ),
        Index("ix_call_logs_callback_at", "callback_id", "at"),
        Index("ix_call_logs_appointment_at", "appointment_id", "at"),
        Index("ix_call_logs_patient_at", "patient_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[CallOutcome] = mapped_column(one_of(CallOutcome, "call_outcome_known"))
    advice: Mapped[str] = mapped_column(String(2000), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User] = relationship(foreign_keys=[by_id])


# --- waitlist -----------------------------------------------------------------


class WaitlistStatus(StrEnum):
    ACTIVE = "active"
    BOOKED = "booked"  # claimed an offered time
    REMOVED = "removed"  # left by the patient, or removed by the front desk


class OfferStatus(StrEnum):
    OFFERED = "offered"
    CLAIMED = "claimed"
    TAKEN = "taken"  # someone else claimed that time first
    EXPIRED = "expired"


class WaitlistEntry(db.Model):
    """A patient waiting for a time: a provider (None: any at the location), a type, a date
    range and parts of the day on the location's clock. Oldest first is waitlist order."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("first_on <= last_on", name="first_on_before_last_on"),
        # Matching a freed time, and the desk's list: the active ones of a place in order.
        Index("ix_waitlist_entries_match", "status", "location_id", "type_id", "created_at", "id"),
        Index("ix_waitlist_entries_list", "status", "created_at", "id"),
        Index("ix_waitlist_entries_patient", "patient_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    first_on: Mapped[date]
    last_on: Mapped[date]
    times_of_day: Mapped[list] = mapped_column(JSON)  # domain.waitlist.TimeOfDay values
    status: Mapped[WaitlistStatus] = mapped_column(
        one_of(WaitlistStatus, "waitlist_status_known"), default=WaitlistStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the patient or staff
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    provider: Mapped[Provider | None] = relationship()
    location: Mapped[Location] = relationship()
    type: Mapped[AppointmentType] = relationship()

    def __repr__(self) -> str:
        return f"<WaitlistEntry {self.id} {self.status}>"


class WaitlistOffer(db.Model):
    """A freed time offered to one waiting patient by email; the first valid claim books it."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        # A patient never holds two open offers for one time, whatever entries they have.
        Index(
            "uq_waitlist_offers_open_per_patient",
            "patient_id",
            "provider_id",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'offered'"),
            postgresql_where=text("status = 'offered'"),
        ),
        Index("ix_waitlist_offers_time", "provider_id", "starts_at", "status"),
        Index("ix_waitlist_offers_due", "status", "expires_at"),
        Index("ix_waitlist_offers_sent", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    status: Mapped[OfferStatus] = mapped_column(
        one_of(OfferStatus, "offer_status_known"), default=OfferStatus.OFFERED
    )

    entry: Mapped[WaitlistEntry] = relationship()
    patient: Mapped[User] = relationship()
    provider: Mapped[Provider] = relationship()
    location: Mapped[Location] = relationship()
    type: Mapped[AppointmentType] = relationship()

    def __repr__(self) -> str:
        return f"<WaitlistOffer {self.id} {self.status}>"


# --- audit --------------------------------------------------------------------


class AuditEvent(db.Model):
    """Who looked at or changed what, and when. Append-only: the database refuses edits."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
        Index("ix_audit_events_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the row alone cannot say: an override's reason, the checks a refused change failed.
    detail: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    patient: Mapped[User | None] = relationship(foreign_keys=[patient_id])


# What the database itself keeps from being edited: the trail, what patients signed, what
# therapists signed, and the calls made.
APPEND_ONLY = (
    AuditEvent,
    SignedConsent,
    ConsentWithdrawal,
    NeedlingNote,
    AdverseEvent,
    NeedlingAddendum,
    CallLog,
)
for append_only in APPEND_ONLY:
    guards.install(append_only.__table__, guards.append_only_sql)
guards.install(ConsentVersion.__table__, guards.frozen_once_published_sql)
for kept in (*APPEND_ONLY, ConsentVersion):
    guards.install_no_truncate(kept.__table__)
guards.install_no_overlap(Appointment.__table__)
