"""Every FlaskForm, grouped by area. Forms check shape; the domain decides."""

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
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
from wtforms.widgets import CheckboxInput, ListWidget

from .domain.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from .domain.consent import ACKNOWLEDGEMENTS
from .domain.patients import OLDEST_PLAUSIBLE_AGE, age_on
from .domain.screening import RULES
from .formatting import clinic_today

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


class CancelAppointmentForm(FlaskForm):
    reason = TextAreaField(
        "Why are you cancelling?", [required("Please tell us why."), Length(max=500)]
    )


class MoveAppointmentForm(FlaskForm):
    start = HiddenField(validators=[required()])
