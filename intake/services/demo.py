"""Load the demo clinic idempotently: natural keys (email, slug) decide what already exists."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from ..domain.consent import ACKNOWLEDGEMENTS
from ..domain.geo import locate
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentType,
    Location,
    Provider,
    SignedConsent,
    User,
    WorkingHours,
    utcnow,
)
from ..passwords import hash_password
from ..settings import ClinicSettings
from . import (
    booking,
    consents,
    demo_data,
    demo_history,
    demo_waitlist,
    demo_weeks,
    eligibility,
    free_times,
    intakes,
)

CONSENT_V1 = Path(__file__).parent.parent / "content" / "consent_v1.md"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str
    password: str


def database_is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def random_password() -> str:
    return secrets.token_urlsafe(12)


def seed_demo(
    settings: ClinicSettings,
    password: str | None = None,
    make_password: Callable[[], str] = random_password,
):
    """Create or refresh every demo record; returns the logins, passwords included."""
    locations = {row["slug"]: _upsert_location(row) for row in demo_data.LOCATIONS}
    db.session.flush()  # location ids are needed to compare working hours
    logins = []
    for row in demo_data.STAFF + demo_data.PATIENTS:
        fields = {k: v for k, v in row.items() if k != "answers"}
        logins.append(_upsert_user(fields, password or make_password()))
    db.session.flush()  # the admin's id attests the therapists' competence
    for row in demo_data.THERAPISTS:
        login = _upsert_user({**row, "role": "therapist"}, password or make_password())
        _attested(_upsert_provider(row, locations), settings)
        logins.append(login)
    for row in demo_data.APPOINTMENT_TYPES:
        _upsert(AppointmentType, "slug", row)
    if consents.current_version() is None:
        consents.publish_version("1", CONSENT_V1.read_text(encoding="utf-8"))
    for row in demo_data.PATIENTS:
        _ready_to_book(row)
    regulars = _regulars()
    db.session.commit()
    _demo_requests(settings)
    demo_history.seed_past_visit(settings, utcnow())
    demo_weeks.seed_two_weeks(regulars, settings, utcnow())
    demo_waitlist.seed_waitlist(regulars, settings, utcnow())
    return logins


def _regulars() -> list[User]:
    """The people on the demo calendar, ready to book; nobody signs in as them, so they share
    one hash of a password nobody knows."""
    unknown = hash_password(random_password())
    regulars = []
    for n, (first_name, last_name) in enumerate(demo_data.REGULARS):
        email = demo_weeks.regular_email(first_name, last_name)
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = User(
                role="patient",
                first_name=first_name,
                last_name=last_name,
                email=email,
                password_hash=unknown,
            )
            db.session.add(user)
            db.session.flush()
            # Distinct phones and birthdays, so a search finds one person.
            answers = {
                "phone": f"+1919555{200 + n:04d}",
                "born_on": f"19{60 + n}-0{1 + n % 9}-1{n % 9}",
            }
            _ready_to_book(
                dict(first_name=first_name, last_name=last_name, email=email, answers=answers)
            )
        regulars.append(user)
    return regulars


def _ready_to_book(row: dict) -> None:
    """The demo patient has answered the intake and signed the consent, so booking is one step."""
    patient = db.session.scalars(select(User).where(User.email == row["email"])).one()
    if intakes.current_intake(patient.id) is None:
        answers = demo_data.patient_answers(
            row["first_name"], row["last_name"], row["email"], **row.get("answers", {})
        )
        intakes.save_intake(patient, answers)
    version = consents.current_version()
    if not db.session.scalars(
        select(SignedConsent).where(SignedConsent.patient_id == patient.id)
    ).first():
        db.session.add(
            SignedConsent(
                patient_id=patient.id,
                version_id=version.id,
                text_sha256=version.text_sha256,
                typed_name=patient.full_name,
                acknowledged=sorted(a.key for a in ACKNOWLEDGEMENTS),
                ip_address="127.0.0.1",
                user_agent="seed-demo",
            )
        )


def _upsert(model, key: str, row: dict):
    record = db.session.scalars(select(model).where(getattr(model, key) == row[key])).first()
    if record is None:
        record = model()
        db.session.add(record)
    for name, value in row.items():
        setattr(record, name, value)
    return record


def _upsert_location(row: dict) -> Location:
    point = locate(row["zip_code"]).point
    return _upsert(
        Location,
        "slug",
        {
            **row,
            "latitude": point.latitude,
            "longitude": point.longitude,
            "timezone": "America/New_York",
        },
    )


def _upsert_user(row: dict, password: str) -> DemoLogin:
    user = db.session.scalars(select(User).where(User.email == row["email"])).first()
    if user is None:
        user = User(email=row["email"])
        db.session.add(user)
    user.role = row["role"]
    user.first_name, user.last_name = row["first_name"], row["last_name"]
    user.active = True
    user.password_hash = hash_password(password)
    return DemoLogin(row["role"], f"{row['first_name']} {row['last_name']}", row["email"], password)


def _attested(provider: Provider, settings: ClinicSettings) -> None:
    """Bookable for dry needling: attested by the demo admin today, unless still current."""
    now = utcnow()
    if eligibility.needling_attested(provider, settings, now):
        return
    admin = db.session.scalars(select(User).where(User.email == demo_data.ADMIN_EMAIL)).one()
    provider.attested_on = eligibility.clinic_day(now, settings)
    provider.attested_by_id = admin.id


def _upsert_provider(row: dict, locations: dict[str, Location]) -> Provider:
    user = db.session.scalars(select(User).where(User.email == row["email"])).one()
    provider = db.session.scalars(select(Provider).where(Provider.slug == row["slug"])).first()
    if provider is None:
        provider = Provider(slug=row["slug"], user=user)
        db.session.add(provider)
    provider.display_name = f"{row['first_name']} {row['last_name']}"
    provider.credentials = row["credentials"]
    provider.training_hours = row["training_hours"]
    provider.training_course = row["training_course"]
    provider.training_completed_on = row["training_completed_on"]
    provider.bio = row["bio"]
    provider.accepting_new_patients = row["accepting"]
    provider.locations = [locations[slug] for slug in row["locations"]]
    # Keep blocks that are already right, so a re-run changes nothing it does not have to.
    wanted = {(locations[slug].id, day, start, end) for slug, day, (start, end) in row["hours"]}
    have = {(h.location_id, h.weekday, h.starts, h.ends): h for h in provider.working_hours}
    for key, block in have.items():
        if key not in wanted:
            provider.working_hours.remove(block)
    db.session.flush()
    for location_id, day, start, end in sorted(wanted - have.keys()):
        provider.working_hours.append(
            WorkingHours(location_id=location_id, weekday=day, starts=start, ends=end)
        )
    return provider


def _demo_requests(settings: ClinicSettings) -> None:
    """Requests for the first free times, only while the clinic has no appointments at all."""
    if db.session.scalar(select(func.count()).select_from(Appointment)):
        return
    now = utcnow()
    for email, slug in demo_data.REQUESTS:
        patient = db.session.scalars(select(User).where(User.email == email)).one()
        provider = free_times.provider_by_slug(slug)
        kind = free_times.active_types()[0]
        choice = free_times.SlotChoice(provider, provider.locations[0], kind)
        today = now.date()
        rules = free_times.rules_for(kind, settings)
        free = free_times.slots_between(choice, today, today + timedelta(days=14), now, rules)
        if free:
            booking.request_appointment(
                patient, choice, free[0], "Demo request", settings=settings, now=now
            )
