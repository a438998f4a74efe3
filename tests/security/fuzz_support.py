"""What the fuzz tests share: a small clinic with one of everything, who may use which route,
hostile values, and requests sent as raw bytes so NUL and surrogates reach the app."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from flask_wtf import FlaskForm
from hypothesis import strategies as st
from sqlalchemy import func, select

from intake import forms
from intake.domain import aftercare
from intake.domain.consent import ACKNOWLEDGEMENTS
from intake.extensions import db
from intake.models import (
    AppointmentType,
    AuditEvent,
    Callback,
    CallbackOutcome,
    CallbackStatus,
    CheckIn,
    Location,
    SignedConsent,
    TimeOff,
    User,
    WaitlistOffer,
)
from intake.permissions import Role
from intake.services import waitlist_offers
from intake.services.free_times import SlotChoice
from tests.conftest import PASSWORD
from tests.support.clock import at, next_weekday

ANONYMOUS = "anonymous"

# --- hostile values ---------------------------------------------------------------------

MEGABYTE = "x" * 1_000_000
FIXED_HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "a\udfffb",
    "\u202e\ufeff",
    "💉" * 50,
    "all",
    "<script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
]
EDGE_NUMBERS = [
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    str(2**70),
    "9" * 5000,
    "²",
    "١٢",
    "1e9",
    "NaN",
]
EDGE_DATES = [
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "0001-01-01T00:00+05:00",
    "9999-12-31T23:59-05:00",
    "9999-12-31T23:59Z",
    "25:61",
    "23:59:59.999999",
]
BIG_HOSTILE = [MEGABYTE, "\x00" + MEGABYTE[:1000]]

# Text of any code point, surrogates included (the app must refuse those it cannot store).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)


def value_strategy(world_values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(FIXED_HOSTILE),
        st.sampled_from(EDGE_NUMBERS),
        st.sampled_from(EDGE_DATES),
        ANY_TEXT,
        st.integers(-(2**70), 2**70).map(str),
        st.dates().map(str),
        st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
        st.sampled_from(world_values),
    )


def raw(text: str) -> str:
    """Percent-encode everything, lone surrogates as the bytes Python would write for them."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def urlencoded(pairs) -> str:
    return "&".join(f"{raw(key)}={raw(value)}" for key, value in pairs)


# --- the forms --------------------------------------------------------------------------


def form_classes() -> list[type[FlaskForm]]:
    return [
        value
        for value in vars(forms).values()
        if isinstance(value, type)
        and issubclass(value, FlaskForm)
        and value.__module__ == forms.__name__
    ]


def reads_query_string(form_class) -> bool:
    return getattr(form_class.Meta, "csrf", True) is False


def field_names(app, form_class) -> list[str]:
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        return [f.name for f in form]


GOOD_BY_NAME = {
    "born_on": "1980-05-01",
    "phone": "919-555-0123",
    "emergency_phone": "919-555-0124",
    "state": "NC",
    "zip_code": "27701",
    "slug": "fuzzed",
    "email": "fuzz@example.com",
    "password": "a long enough password 42",
    "typed_name": "Maria Lopez",
    "label": "fuzz",
    "duration_minutes": "30",
    "buffer_after_minutes": "10",
    "pain_now": "3",
    "pain_worst": "5",
    "pain_least": "2",
    "weekday": "5",
    "outcome": "cleared",
}


def good_value(f, world) -> str | None:
    """A value the field would accept, so a single hostile field gets as far as the write."""
    if f.name in world.good:
        return world.good[f.name]
    if f.name in GOOD_BY_NAME:
        return GOOD_BY_NAME[f.name]
    kind = type(f).__name__
    later = f.name in ("ends", "to")
    if kind == "BooleanField":
        return "y"
    if kind == "IntegerField":
        return "5"
    if kind == "DateField":
        return world.day
    if kind == "TimeField":
        return "12:00" if later else "09:00"
    if kind == "DateTimeLocalField":
        return f"{world.day}T{'12:00' if later else '09:00'}"
    choices = [c.value for c in getattr(f, "choices", None) or [] if c.value not in ("", None)]
    if choices:
        return str(choices[0])
    if kind in ("HiddenField", "SelectField", "SelectMultipleField", "MultiCheckboxField"):
        return None  # a dynamic choice the world does not know: left out
    return "Something a person might write"


def good_submission(app, form_class, world) -> dict[str, str]:
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        return {f.name: value for f in form if (value := good_value(f, world)) is not None}


def choice_values(app, form_class) -> list[str]:
    """The values a field's static choices allow, so some examples get past the first check."""
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        found = []
        for f in form:
            for choice in getattr(f, "choices", None) or []:
                value = getattr(choice, "value", None)
                if value is None and isinstance(choice, tuple):
                    value = choice[0]
                if value not in (None, ""):
                    found.append(str(value))
        return found


# --- the clinic -------------------------------------------------------------------------


@dataclass
class World:
    """One of everything a route can name, and who is who."""

    emails: dict[str, str]  # role -> the email of a user with it
    ids: dict[str, object]  # route argument name -> the value to put in the path
    values: list[str] = field(default_factory=list)  # real ids and slugs for form fields
    good: dict[str, str] = field(default_factory=dict)  # field name -> a value that passes
    day: str = ""  # a weekday the provider works, a week ahead
    endpoint_ids: dict[str, dict] = field(default_factory=dict)  # endpoint -> its own ids
    endpoint_query: dict[str, dict] = field(default_factory=dict)  # endpoint -> its query


def build_world(app, clinic, ready_patient, make_user, make_appointment) -> World:
    from intake.config import current_settings
    from intake.services import accounts, admin_consents, feed, forms_link

    patient = ready_patient()
    front_desk = make_user(Role.FRONT_DESK)
    admin = make_user(Role.ADMIN)
    spare = make_user(Role.FRONT_DESK)
    spare_therapist = make_user(Role.THERAPIST)
    day = next_weekday(datetime.now(UTC), days_ahead=8)
    starts_at = at(day, 10)
    appointment = make_appointment(
        patient, clinic.provider, clinic.location, clinic.type, starts_at
    )
    # A caller the desk booked without a password: their forms link asks them to choose one.
    walk_in = make_user(Role.PATIENT, password_hash="")
    walk_in_visit = make_appointment(
        walk_in, clinic.provider, clinic.location, clinic.type, starts_at + timedelta(days=1)
    )
    with app.app_context():
        therapist = db.session.get(User, clinic.provider.user_id)
        signed, current_version = db.session.execute(
            select(SignedConsent.id, SignedConsent.version_id).where(
                SignedConsent.patient_id == patient.id
            )
        ).one()
        sections = "".join(f"\n## {ack.heading}\n\nText.\n" for ack in ACKNOWLEDGEMENTS)
        draft = admin_consents.save_draft(
            None, "draft", "# Draft\n\nText.\n" + sections, db.session.merge(admin)
        ).id
        later = datetime.now(UTC) + timedelta(days=300)
        time_off = TimeOff(
            provider_id=clinic.provider.id, starts_at=later, ends_at=later + timedelta(hours=4)
        )
        db.session.add(time_off)
        # A check-in sent for the visit, so its form is there to be fuzzed.
        db.session.add(
            CheckIn(
                appointment_id=appointment.id,
                patient_id=patient.id,
                due_at=datetime.now(UTC),
                sent_at=datetime.now(UTC),
            )
        )
        db.session.commit()
        provider = db.session.merge(clinic.provider)
        block = provider.working_hours[0].id
        feed_token = feed.new_token(provider, therapist)
        reset = accounts.reset_token(db.session.get(User, spare.id), current_settings())
        forms_token = forms_link.token_for(walk_in_visit, current_settings())
        time_off_id = time_off.id
        therapist_email = therapist.email
        callback = Callback(patient_id=patient.id, urgent=True, finding_keys=["fever"])
        db.session.add(callback)
        db.session.commit()
        callback_id = callback.id
        # An earlier callback closed as cleared to book: booking from it gets as far as the write.
        cleared = Callback(
            patient_id=patient.id,
            finding_keys=["fever"],
            status=CallbackStatus.CLOSED,
            closed_at=datetime.now(UTC),
            outcome=CallbackOutcome.CLEARED,
        )
        db.session.add(cleared)
        db.session.commit()
        cleared_id = cleared.id
        # The patient waits for the provider's mornings and holds an open offer of a time.
        choice = SlotChoice(
            provider,
            db.session.get(Location, clinic.location.id),
            db.session.get(AppointmentType, clinic.type.id),
        )
        offer_id = waitlist_offers.seed_entry_with_offer(
            patient.id,
            choice,
            at(day, 11, 15),
            ["morning"],
            settings=current_settings(),
            now=datetime.now(UTC),
        )
        db.session.commit()
        offer_token = waitlist_offers.offer_token(offer_id, current_settings())
        entry_id = db.session.get(WaitlistOffer, offer_id).entry_id
    ids = {
        "appointment_id": appointment.id,
        "consent_id": signed,
        "version_id": draft,
        "location_id": clinic.location.id,
        "provider_id": clinic.provider.id,
        "type_id": clinic.type.id,
        "user_id": spare.id,
        "patient_id": patient.id,
        "block_id": block,
        "time_off_id": time_off_id,
        "callback_id": callback_id,
        "entry_id": entry_id,
        "slug": clinic.provider.slug,
        "token": reset,
        "filename": "css/site.css",
    }
    values = [str(v) for v in ids.values()] + [
        starts_at.strftime("%Y-%m-%dT%H:%MZ"),
        day.isoformat(),
        "1",
        "10:00",
        f"{day.isoformat()}T09:00",
    ]
    emails = {
        Role.PATIENT: patient.email,
        Role.FRONT_DESK: front_desk.email,
        Role.THERAPIST: therapist_email,
        Role.ADMIN: admin.email,
    }
    good = {
        "location": str(clinic.location.id),
        "location_ids": str(clinic.location.id),
        "type": str(clinic.type.id),
        "provider": str(clinic.provider.id),
        "start": (starts_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%MZ"),
        "revision": "1",
        "user_id": str(spare_therapist.id),
        "version_id": str(current_version),
        "role": Role.THERAPIST.value,
        "soreness": "3",
        "first_on": day.isoformat(),
        "last_on": (day + timedelta(days=7)).isoformat(),
        "times_of_day": "morning",
        **{question.key: "no" for question in aftercare.QUESTIONS},
    }
    # The feed's <token> is another kind of token than the reset link's.
    return World(
        emails=emails,
        ids=ids | {"feed_token": feed_token},
        endpoint_ids={
            "callbacks.book": {"callback_id": cleared_id},
            "waitlist.offer": {"token": offer_token},
            "forms.choose_password": {"token": forms_token},
        },
        endpoint_query={"staff_waitlist.new": {"patient": patient.id}},
        values=values,
        good=good,
        day=day.isoformat(),
    )


def signed_in_client(app, email: str | None):
    client = app.test_client()
    if email is not None:
        answer = client.post("/account/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 302, "the fuzz could not sign in"
    return client


def row_counts(app) -> dict[str, int]:
    """Rows in every table but the audit trail, which rightly records views of error pages."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name != AuditEvent.__tablename__
        }
