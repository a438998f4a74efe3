"""Every FlaskForm, grouped by area. Forms check shape; the domain decides."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from .domain.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from .domain.consent import ACKNOWLEDGEMENTS
from .domain.ids import MAX_ID
from .domain.patients import OLDEST_PLAUSIBLE_AGE, age_on
from .domain.screening import RULES
from .formatting import WEEKDAYS, clinic_today
from .models import AppointmentStatus
from .permissions import Role

SHORT, MEDIUM, LONG = 100, 500, 2000


def options(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def required(message: str = "This is required."):
    return DataRequired(message=message)


def _password_field(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            required("Please choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )


class PhoneNumber:
    """A US number (or international with +); the E.164 form is left on field.e164."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            number = phonenumbers.parse(field.data[:40], "US")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError("Enter a phone number we can call, such as 919-555-0123.")
        field.e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- accounts -----------------------------------------------------------------------


class RegisterForm(FlaskForm):
    first_name = StringField("First name", [required(), Length(max=SHORT)])
    last_name = StringField("Last name", [required(), Length(max=SHORT)])
    email = EmailField(
        "Email", [required(), Length(max=254), Email("Enter a valid email.")], filters=[strip]
    )
    password = _password_field()

    def validate_password(self, field):
        if self.email.data and field.data.strip().lower() == self.email.data.strip().lower():
            raise ValidationError("Your password cannot be your email address.")


class LoginForm(FlaskForm):
    email = EmailField("Email", [required(), Length(max=254)], filters=[strip])
    password = PasswordField("Password", [required(), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField("Keep me signed in on this device", default=False)


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email", [required(), Length(max=254), Email("Enter a valid email.")], filters=[strip]
    )


class NewPasswordForm(FlaskForm):
    password = _password_field("New password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", [required(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    password = _password_field("New password")
    confirm = PasswordField("New password again", [required("Type the new password again.")])

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("The two new passwords are not the same.")


class PostForm(FlaskForm):
    """A button that changes state (sign out, withdraw): only the CSRF token to check."""


# --- intake -------------------------------------------------------------------------

SEXES = options(
    [
        ("", "Choose one"),
        ("female", "Female"),
        ("male", "Male"),
        ("intersex", "Intersex"),
        ("not_said", "Prefer not to say"),
    ]
)
BODY_REGIONS = [
    ("head_jaw", "Head or jaw"),
    ("neck", "Neck"),
    ("shoulder", "Shoulder"),
    ("upper_arm", "Upper arm"),
    ("elbow_forearm", "Elbow or forearm"),
    ("wrist_hand", "Wrist or hand"),
    ("chest_wall", "Chest wall"),
    ("upper_back", "Upper back"),
    ("lower_back", "Lower back"),
    ("hip_buttock", "Hip or buttock"),
    ("thigh", "Thigh"),
    ("knee", "Knee"),
    ("calf_shin", "Calf or shin"),
    ("ankle_foot", "Ankle or foot"),
]
SIDES = [("left", "Left"), ("right", "Right")]
PAIN_AREAS = options(
    (f"{r}:{s}", f"{label}, {side.lower()}") for r, label in BODY_REGIONS for s, side in SIDES
)
DURATIONS = options(
    [
        ("", "Choose one"),
        ("under_6_weeks", "Less than 6 weeks"),
        ("6_weeks_3_months", "6 weeks to 3 months"),
        ("3_12_months", "3 to 12 months"),
        ("over_1_year", "More than a year"),
    ]
)
ONSETS = options(
    [
        ("", "Choose one"),
        ("injury", "After an injury or accident"),
        ("gradual", "Came on gradually"),
        ("after_surgery", "After surgery"),
        ("overuse", "After a change in activity or training"),
        ("unknown", "I don't know"),
    ]
)
PAIN_CHARACTERS = options(
    [
        ("aching", "Aching"),
        ("sharp", "Sharp"),
        ("burning", "Burning"),
        ("throbbing", "Throbbing"),
        ("tingling", "Tingling or numbness"),
        ("stiffness", "Stiffness"),
        ("cramping", "Cramping"),
    ]
)
REFERRALS = options(
    [
        ("", "Choose one (optional)"),
        ("physician", "My doctor"),
        ("friend", "A friend or family member"),
        ("search", "Web search"),
        ("social", "Social media"),
        ("returning", "I have been here before"),
        ("other", "Other"),
    ]
)
YES_NO = options([("yes", "Yes"), ("no", "No")])
PAIN_SCALE = [NumberRange(0, 10, "Choose a number from 0 (no pain) to 10 (worst imaginable).")]


def _pain(label: str) -> IntegerField:
    return IntegerField(label, [InputRequired("Choose a number from 0 to 10."), *PAIN_SCALE])


class IntakeForm(FlaskForm):
    # About you
    legal_first_name = StringField("Legal first name", [required(), Length(max=SHORT)])
    legal_last_name = StringField("Legal last name", [required(), Length(max=SHORT)])
    preferred_name = StringField("Preferred name (optional)", [Optional(), Length(max=SHORT)])
    born_on = DateField("Date of birth", [required("Enter your date of birth.")])
    sex = SelectField("Sex", choices=SEXES, validators=[required("Choose one.")])
    phone = StringField("Mobile or main phone", [required(), Length(max=40), PhoneNumber()])
    email = EmailField(
        "Email", [required(), Length(max=254), Email("Enter a valid email.")], filters=[strip]
    )
    address = StringField("Street address", [required(), Length(max=200)])
    city = StringField("City", [required(), Length(max=SHORT)])
    state = StringField(
        "State",
        [
            required(),
            Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter abbreviation, such as NC."),
        ],
    )
    zip_code = StringField(
        "ZIP code", [required(), Regexp(r"^\d{5}(-\d{4})?$", message="Use 5 digits, like 27701.")]
    )
    # Emergency contact
    emergency_name = StringField("Name", [required(), Length(max=200)])
    emergency_relationship = StringField("Relationship to you", [required(), Length(max=SHORT)])
    emergency_phone = StringField("Phone", [required(), Length(max=40), PhoneNumber()])
    # Your pain
    reason = TextAreaField("What brings you in?", [required(), Length(max=LONG)])
    pain_areas = MultiCheckboxField(
        "Where is the pain?",
        choices=PAIN_AREAS,
        validators=[required("Tick at least one area.")],
    )
    duration = SelectField(
        "How long have you had it?",
        choices=DURATIONS,
        validators=[required("Choose one.")],
    )
    onset = SelectField("How did it start?", choices=ONSETS, validators=[required("Choose one.")])
    pain_now = _pain("Pain right now (0-10)")
    pain_worst = _pain("Worst pain in the last 24 hours (0-10)")
    pain_least = _pain("Least pain in the last 24 hours (0-10)")
    pain_character = MultiCheckboxField(
        "What does it feel like? (optional)",
        choices=PAIN_CHARACTERS,
        validators=[Optional()],
    )
    better = TextAreaField("What makes it better?", [Optional(), Length(max=MEDIUM)])
    worse = TextAreaField("What makes it worse?", [Optional(), Length(max=MEDIUM)])
    daily_life = TextAreaField(
        "How does it affect your daily life?", [required(), Length(max=LONG)]
    )
    goals = TextAreaField("What would you like to get back to?", [required(), Length(max=LONG)])
    # Your health
    medications = TextAreaField("Medicines you take (optional)", [Optional(), Length(max=LONG)])
    allergies = TextAreaField("Allergies (optional)", [Optional(), Length(max=MEDIUM)])
    surgeries = TextAreaField("Past surgeries (optional)", [Optional(), Length(max=LONG)])
    prior_dry_needling = RadioField(
        "Have you had dry needling before?",
        choices=YES_NO,
        validators=[required("Choose yes or no.")],
    )
    prior_dry_needling_outcome = TextAreaField(
        "If so, how did it go?", [Optional(), Length(max=MEDIUM)]
    )
    # How you found us
    referral_source = SelectField(
        "How did you hear about us?", choices=REFERRALS, validators=[Optional()]
    )
    referring_physician = StringField("Referring doctor (optional)", [Optional(), Length(max=200)])

    screening_keys = tuple(rule.key for rule in RULES)

    def validate_born_on(self, field):
        today = clinic_today()
        if field.data >= today:
            raise ValidationError("Your date of birth must be in the past.")
        if age_on(field.data, today) >= OLDEST_PLAUSIBLE_AGE:
            raise ValidationError("Please check the year of your date of birth.")

    def validate_pain_worst(self, field):
        if None not in (field.data, self.pain_least.data) and self.pain_least.data > field.data:
            raise ValidationError("Your worst pain cannot be lower than your least pain.")

    def validate_pain_now(self, field):
        if None not in (field.data, self.pain_worst.data) and field.data > self.pain_worst.data:
            raise ValidationError("Pain right now cannot be above your worst in the last 24 hours.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for rule in RULES:
            answer, detail = self[rule.key], self[f"{rule.key}_detail"]
            if rule.detail_required and answer.data == "yes" and not (detail.data or "").strip():
                detail.errors = [*detail.errors, f"Please answer: {rule.detail_prompt}"]
                valid = False
        return valid

    def screening_fields(self):
        return [(rule, self[rule.key], self[f"{rule.key}_detail"]) for rule in RULES]


# The screening questions come from the clinicians' table, so the form follows it.
for _rule in RULES:
    setattr(
        IntakeForm,
        _rule.key,
        RadioField(_rule.question, choices=YES_NO, validators=[required("Choose yes or no.")]),
    )
    setattr(
        IntakeForm,
        f"{_rule.key}_detail",
        TextAreaField(_rule.detail_prompt, [Optional(), Length(max=MEDIUM)]),
    )


# --- consent ------------------------------------------------------------------------


class ConsentForm(FlaskForm):
    version_id = HiddenField()
    typed_name = StringField("Type your full legal name", [required(), Length(max=200)])
    guardian_relationship = StringField(
        "Your relationship to the patient", [Optional(), Length(max=SHORT)]
    )
    signature = HiddenField()

    def acknowledgement_fields(self):
        return [(ack, self[f"ack_{ack.key}"]) for ack in ACKNOWLEDGEMENTS]


for _ack in ACKNOWLEDGEMENTS:
    setattr(
        ConsentForm,
        f"ack_{_ack.key}",
        BooleanField(
            _ack.statement, [DataRequired("Please tick to confirm you have read this part.")]
        ),
    )


class WithdrawConsentForm(FlaskForm):
    reason = TextAreaField("Reason (optional)", [Optional(), Length(max=1000)])


# --- booking ------------------------------------------------------------------------


class BookingRequestForm(FlaskForm):
    location = HiddenField(validators=[required()])
    type = HiddenField(validators=[required()])
    start = HiddenField(validators=[required()])
    note = TextAreaField(
        "Anything the front desk should know? (optional)",
        [Optional(), Length(max=1000)],
    )


class PatientChangeForm(FlaskForm):
    """The revision the patient's page showed: a change the clinic made since then wins."""

    revision = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])


class CancelAppointmentForm(PatientChangeForm):
    reason = TextAreaField(
        "Why are you cancelling?", [required("Please tell us why."), Length(max=500)]
    )


class MoveAppointmentForm(PatientChangeForm):
    start = HiddenField(validators=[required()])


# --- front desk --------------------------------------------------------------------------

MAX_SEARCH = 100
MAX_EXPORT_DAYS = 366

STATUS_LABELS = {
    AppointmentStatus.REQUESTED: "Requested",
    AppointmentStatus.CONFIRMED: "Confirmed",
    AppointmentStatus.DECLINED: "Declined",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.COMPLETED: "Completed",
    AppointmentStatus.NO_SHOW: "Missed",
}
# Every status has its label: a new status without one fails at import, not on a page.
STATUS_CHOICES = options(
    [*((status.value, STATUS_LABELS[status]) for status in AppointmentStatus), ("all", "Any")]
)


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plausible_day(form, field):
    """Keep dates where calendars work: 9999-12-31 has no next day to end on."""
    if field.data and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Choose a day between {FIRST_DAY.year} and {LAST_DAY.year}.")


class GetForm(FlaskForm):
    """Read from the query string; a GET changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False


class QueueFilterForm(GetForm):
    provider = SelectField("Provider", default="")
    location = SelectField("Location", default="")
    status = SelectField("Status", choices=STATUS_CHOICES, default="requested")
    from_ = DateField("Starts from", [Optional(), plausible_day], name="from")
    to = DateField("Starts until", [Optional(), plausible_day])
    needs_review = BooleanField("Needs therapist review")
    q = SearchField(
        "Name, phone or email",
        [Optional(), Length(max=MAX_SEARCH, message=f"Search with up to {MAX_SEARCH} characters.")],
        filters=[strip],
    )

    def validate_to(self, field):
        if field.data and self.from_.data and field.data < self.from_.data:
            raise ValidationError("The end date is before the start date.")


class ExportForm(GetForm):
    # Ids of their own: this form shares a page with the queue's filters.
    from_ = DateField(
        "From", [InputRequired("Give the first day."), plausible_day], name="from", id="export-from"
    )
    to = DateField("To", [InputRequired("Give the last day."), plausible_day], id="export-to")

    def validate_to(self, field):
        if not (field.data and self.from_.data):
            return
        if field.data < self.from_.data:
            raise ValidationError("The last day is before the first day.")
        if field.data - self.from_.data >= timedelta(days=MAX_EXPORT_DAYS):
            raise ValidationError(f"Export at most {MAX_EXPORT_DAYS} days at a time.")


# --- actions on one request ----------------------------------------------------------


class ActionForm(FlaskForm):
    """Every action carries the revision the page showed, so a stale page cannot act."""

    revision = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])


class ConfirmForm(ActionForm):
    override_reason = TextAreaField(
        "Admin override: why confirm without a therapist's review?",
        [Optional(), Length(max=500)],
        filters=[strip],
    )


class DeclineForm(ActionForm):
    reason = TextAreaField(
        "Reason for declining (sent to the patient)",
        [required("Please give the patient a reason."), Length(max=500)],
        filters=[strip],
        id="decline-reason",  # ids of their own: every action form shares one page
    )


class CancelForm(ActionForm):
    reason = TextAreaField(
        "Reason for cancelling (sent to the patient)",
        [required("Please give the patient a reason."), Length(max=500)],
        filters=[strip],
        id="cancel-reason",
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Internal note (staff only, not emailed)",
        [required("Write the note first."), Length(max=1000)],
        filters=[strip],
        id="note-text",
    )


class MoveForm(ActionForm):
    provider = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    location = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    start = HiddenField(validators=[required(), Length(max=40)])


class MoveSearchForm(GetForm):
    provider = SelectField("Provider")
    location = SelectField("Location")
    week = DateField("Week starting", [Optional()])


# --- therapist schedule ------------------------------------------------------------------


def _revision() -> IntegerField:
    # The version of the appointment the page showed: a change made since then wins. Kept in
    # the column's range, as a larger number cannot even be sent to the database.
    return IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(0, MAX_ID)])


def _quarter_hour(form, field):
    if field.data and (field.data.minute % 15 or field.data.second):
        raise ValidationError("Use a time on the quarter hour, such as 9:00 or 9:15.")


class OutcomeForm(FlaskForm):
    revision = _revision()
    outcome = SelectField(
        choices=options([("completed", "Completed"), ("no_show", "No-show")]),
        validators=[DataRequired()],
    )


class ReviewForm(FlaskForm):
    revision = _revision()
    outcome = RadioField(
        "Your decision",
        choices=options(
            [
                ("cleared", "Cleared: dry needling may go ahead"),
                ("not_suitable", "Not suitable: the front desk will decline the request"),
            ]
        ),
        validators=[InputRequired("Please choose cleared or not suitable.")],
    )
    note = TextAreaField(
        "Note for the record",
        [DataRequired("Please write a note explaining your decision."), Length(max=1000)],
    )


class HoursForm(FlaskForm):
    location = SelectField("Location", coerce=int, validators=[InputRequired()])
    weekday = SelectField(
        "Day",
        coerce=int,
        choices=options(enumerate(WEEKDAYS)),
        validators=[InputRequired()],
    )
    starts = TimeField(
        "Starts",
        [InputRequired("Please give a start time."), _quarter_hour],
        render_kw={"step": 900},
    )
    ends = TimeField(
        "Ends", [InputRequired("Please give an end time."), _quarter_hour], render_kw={"step": 900}
    )

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The block must end after it starts.")


def _plausible_year(form, field):
    # The ends of the calendar cannot be moved to UTC: keep to years a diary would show.
    if field.data and not 2000 <= field.data.year <= 2999:
        raise ValidationError("Please give a date in this century.")


class TimeOffForm(FlaskForm):
    starts = DateTimeLocalField(
        "From", [InputRequired("Please give the first day and time."), _plausible_year]
    )
    ends = DateTimeLocalField(
        "Until", [InputRequired("Please give the last day and time."), _plausible_year]
    )
    reason = StringField("Reason (optional, not shown to patients)", [Optional(), Length(max=200)])

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The time off must end after it starts.")


# --- administration ----------------------------------------------------------------------

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
    since = DateField("From", [Optional(), plausible_day])
    until = DateField("To", [Optional(), plausible_day])

    def validate_patient(self, field):
        number = field.data.isascii() and field.data.isdigit()
        if field.data and not number and "@" not in field.data:
            raise ValidationError("Enter a patient number, such as 42, or an email address.")

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date must be on or after the start date.")
