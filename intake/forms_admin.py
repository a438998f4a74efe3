"""Administration forms (to be folded into forms.py). Dynamic choices are set by the views."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from .forms import SHORT, MultiCheckboxField, PhoneNumber, options, required, strip
from .permissions import Role

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    message="Use lower-case letters, digits and single hyphens, such as durham-central.",
)
US_TIMEZONES = options(
    [
        ("America/New_York", "Eastern (New York)"),
        ("America/Chicago", "Central (Chicago)"),
        ("America/Denver", "Mountain (Denver)"),
        ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
        ("America/Los_Angeles", "Pacific (Los Angeles)"),
        ("America/Anchorage", "Alaska (Anchorage)"),
        ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ]
)
STAFF_ROLE_CHOICES = options(
    [(Role.FRONT_DESK, "Front desk"), (Role.THERAPIST, "Therapist"), (Role.ADMIN, "Admin")]
)
BIO_MAX = 4000
CONSENT_MAX = 50_000


def upper(value):
    return value.upper() if isinstance(value, str) else value


def _slug_field() -> StringField:
    return StringField("Slug (used in web addresses)", [required(), Length(max=80), SLUG], [strip])


# --- locations ----------------------------------------------------------------------


class LocationForm(FlaskForm):
    name = StringField("Name", [required(), Length(max=120)], [strip])
    slug = _slug_field()
    address = StringField("Street address", [required(), Length(max=200)], [strip])
    city = StringField("City", [required(), Length(max=SHORT)], [strip])
    state = StringField(
        "State",
        [required(), Regexp(r"^[A-Z]{2}$", message="Use the two-letter abbreviation, like NC.")],
        [strip, upper],
    )
    zip_code = StringField(
        "ZIP code", [required(), Regexp(r"^\d{5}$", message="Use 5 digits, like 27701.")], [strip]
    )
    phone = StringField("Phone", [required(), Length(max=40), PhoneNumber()], [strip])
    timezone = SelectField(
        "Time zone",
        choices=US_TIMEZONES,
        default="America/New_York",
        validators=[required("Choose the clinic's time zone.")],
        invalid_choice_message="Choose one of the time zones listed.",
    )

    def validate_timezone(self, field):
        try:
            ZoneInfo(field.data)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValidationError("Choose one of the time zones listed.") from error


# --- providers ----------------------------------------------------------------------


class ProviderForm(FlaskForm):
    user_id = SelectField(
        "Therapist account",
        validators=[required("Choose the therapist's account.")],
        invalid_choice_message="Choose one of the therapists listed.",
    )
    display_name = StringField("Name as patients see it", [required(), Length(max=120)], [strip])
    slug = _slug_field()
    credentials = StringField("Credentials", [required(), Length(max=120)], [strip])
    training_hours = IntegerField(
        "Hours of dry-needling training",
        [
            InputRequired("Enter the hours of training."),
            NumberRange(0, 1000, "Enter a number from 0 to 1000."),
        ],
    )
    bio = TextAreaField("Biography", [Optional(), Length(max=BIO_MAX)], [strip])
    accepting_new_patients = BooleanField("Accepting new patients", default=True)
    location_ids = MultiCheckboxField(
        "Works at",
        validators=[Optional()],
        invalid_choice_message="Choose among the locations listed.",
    )


# --- appointment types --------------------------------------------------------------


class AppointmentTypeForm(FlaskForm):
    name = StringField("Name", [required(), Length(max=120)], [strip])
    slug = _slug_field()
    duration_minutes = IntegerField(
        "Length of the visit (minutes)",
        [
            InputRequired("Enter the length in minutes."),
            NumberRange(5, 240, "Enter from 5 to 240 minutes."),
        ],
    )
    buffer_after_minutes = IntegerField(
        "Time kept free after the visit (minutes)",
        [
            InputRequired("Enter 0 if none is needed."),
            NumberRange(0, 60, "Enter from 0 to 60 minutes."),
        ],
        default=0,
    )
    involves_dry_needling = BooleanField(
        "Involves dry needling (needs intake, screening and consent)", default=True
    )
    active = BooleanField("Offered for booking", default=True)

    def validate_duration_minutes(self, field):
        if field.data is not None and field.data % 5:
            raise ValidationError("Use steps of 5 minutes, such as 30 or 45.")


# --- consent versions ---------------------------------------------------------------


class ConsentDraftForm(FlaskForm):
    label = StringField("Version label", [required(), Length(max=40)], [strip])
    body_markdown = TextAreaField(
        "Consent text (Markdown)",
        [required("Write the consent text."), Length(max=CONSENT_MAX)],
    )


# --- staff --------------------------------------------------------------------------


class InviteForm(FlaskForm):
    first_name = StringField("First name", [required(), Length(max=SHORT)], [strip])
    last_name = StringField("Last name", [required(), Length(max=SHORT)], [strip])
    email = EmailField(
        "Email", [required(), Length(max=254), Email("Enter a valid email.")], [strip]
    )
    role = SelectField(
        "Role",
        choices=STAFF_ROLE_CHOICES,
        validators=[required("Choose a role.")],
        invalid_choice_message="Choose one of the roles listed.",
    )


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=STAFF_ROLE_CHOICES,
        validators=[required("Choose a role.")],
        invalid_choice_message="Choose one of the roles listed.",
    )


# --- audit log ----------------------------------------------------------------------


class AuditFilterForm(FlaskForm):
    """Read from the query string: a search, so no CSRF token."""

    class Meta:
        csrf = False

    patient = StringField("Patient number or email", [Optional(), Length(max=254)], [strip])
    actor = StringField("Staff email", [Optional(), Length(max=254)], [strip])
    action = SelectField(
        "Action",
        validators=[Optional()],
        invalid_choice_message="Choose one of the actions listed.",
    )
    since = DateField("From", [Optional()])
    until = DateField("To", [Optional()])

    def validate_patient(self, field):
        if field.data and not field.data.isdigit() and "@" not in field.data:
            raise ValidationError("Enter a patient number, such as 42, or an email address.")

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date must be on or after the start date.")
