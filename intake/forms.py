"""Every FlaskForm, grouped by area. Forms check shape; the domain decides. The fields and
validators they share live in form_fields.py."""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    SelectField,
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

from .config import current_settings
from .domain import aftercare, needling, waitlist
from .domain.accounts import MAX_PASSWORD_LENGTH
from .domain.consent import ACKNOWLEDGEMENTS
from .domain.patients import OLDEST_PLAUSIBLE_AGE, age_on
from .domain.screening import RULES
from .form_fields import (
    ALWAYS_CHOSEN,
    LONG,
    MEDIUM,
    SHORT,
    MultiCheckboxField,
    PhoneNumber,
    PlainCheckboxInput,
    PlainDateInput,
    PlainOptionsSelect,
    PlainSearchInput,
    choose_one,
    email_field,
    long_answer,
    on_slot_grid,
    options,
    pain_scale,
    password_field,
    plausible_day,
    plausible_year,
    question_label,
    required,
    revision_field,
    role_field,
    short_answer,
    slot_grid_in_words,
    slug_field,
    strip,
    ticks,
    upper,
    yes_no,
)
from .formatting import WEEKDAYS, clinic_today
from .models import AppointmentStatus, CallbackOutcome, CallOutcome

# --- accounts -----------------------------------------------------------------------


class RegisterForm(FlaskForm):
    first_name = StringField("First name", [required(), Length(max=SHORT)])
    last_name = StringField("Last name", [required(), Length(max=SHORT)])
    email = email_field()
    password = password_field()

    def validate_password(self, field):
        if self.email.data and field.data.strip().lower() == self.email.data.strip().lower():
            raise ValidationError("Your password cannot be your email address.")


class LoginForm(FlaskForm):
    email = EmailField("Email", [required(), Length(max=254)], filters=[strip])
    password = PasswordField("Password", [required(), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField("Keep me signed in on this device", default=False)


class ResetRequestForm(FlaskForm):
    email = email_field()


class NewPasswordForm(FlaskForm):
    password = password_field("New password")


class FirstPasswordForm(FlaskForm):
    """A patient the desk created without a password chooses one from their forms link."""

    password = password_field("Choose a password")
    confirm = PasswordField("The password again", [required("Type the password again.")])

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("The two passwords are not the same.")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", [required(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    password = password_field("New password")
    confirm = PasswordField("New password again", [required("Type the new password again.")])

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("The two new passwords are not the same.")


class PostForm(FlaskForm):
    """A button that changes state (leave, claim, resend): only the CSRF token to check."""


class SignOutForm(FlaskForm):
    """Sign out takes a token this session was given however old its page is: a tab left
    open overnight must still end the session, not answer "This form has expired". A forged
    request has no such token, so it is still refused."""

    class Meta:
        csrf_time_limit = int(timedelta(days=366).total_seconds())


class StillHereForm(SignOutForm):
    """A staff page's "Stay signed in": the page's token, however old, as for signing out. A
    page left open for hours while someone writes a note must not lose it to "expired"."""


# --- intake: questions, labels and choices come from domain/questionnaire.py -----------


class IntakeForm(FlaskForm):
    # About you
    legal_first_name = short_answer("legal_first_name", SHORT)
    legal_last_name = short_answer("legal_last_name", SHORT)
    preferred_name = short_answer("preferred_name", SHORT, optional=True)
    born_on = DateField(question_label("born_on"), [required("Enter your date of birth.")])
    sex = choose_one("sex")
    phone = short_answer("phone", 40, PhoneNumber())
    email = email_field(question_label("email"))
    address = short_answer("address", 200)
    city = short_answer("city", SHORT)
    state = StringField(
        question_label("state"),
        [
            required(),
            Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter abbreviation, such as NC."),
        ],
    )
    zip_code = StringField(
        question_label("zip_code"),
        [required(), Regexp(r"^\d{5}(-\d{4})?$", message="Use 5 digits, like 27701.")],
    )
    # Emergency contact
    emergency_name = short_answer("emergency_name", 200)
    emergency_relationship = short_answer("emergency_relationship", SHORT)
    emergency_phone = short_answer("emergency_phone", 40, PhoneNumber())
    # Your pain
    reason = long_answer("reason", LONG)
    pain_areas = ticks("pain_areas", missing="Tick at least one area.")
    duration = choose_one("duration")
    onset = choose_one("onset")
    pain_now = pain_scale("pain_now")
    pain_worst = pain_scale("pain_worst")
    pain_least = pain_scale("pain_least")
    pain_character = ticks("pain_character")
    better = long_answer("better", MEDIUM, optional=True)
    worse = long_answer("worse", MEDIUM, optional=True)
    daily_life = long_answer("daily_life", LONG)
    goals = long_answer("goals", LONG)
    # Your health
    medications = long_answer("medications", LONG, optional=True)
    allergies = long_answer("allergies", MEDIUM, optional=True)
    surgeries = long_answer("surgeries", LONG, optional=True)
    prior_dry_needling = yes_no("prior_dry_needling")
    prior_dry_needling_outcome = long_answer("prior_dry_needling_outcome", MEDIUM, optional=True)
    # How you found us
    referral_source = choose_one("referral_source", "Choose one (optional)", optional=True)
    referring_physician = short_answer("referring_physician", 200, optional=True)

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


# The safety questions follow the clinicians' screening table, through the questionnaire.
for _rule in RULES:
    setattr(IntakeForm, _rule.key, yes_no(_rule.key))
    setattr(IntakeForm, f"{_rule.key}_detail", long_answer(f"{_rule.key}_detail", MEDIUM, True))


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
    location = HiddenField()  # the slot's place; empty keeps the appointment's own


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


class GetForm(FlaskForm):
    """Read from the query string; a GET changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False


class QueueFilterForm(GetForm):
    provider = SelectField("Provider", default="", widget=PlainOptionsSelect())
    location = SelectField("Location", default="", widget=PlainOptionsSelect())
    status = SelectField(
        "Status", choices=STATUS_CHOICES, default="requested", widget=PlainOptionsSelect()
    )
    from_ = DateField(
        "Starts from", [Optional(), plausible_day], name="from", widget=PlainDateInput()
    )
    to = DateField("Starts until", [Optional(), plausible_day], widget=PlainDateInput())
    needs_review = BooleanField("Needs therapist review", widget=PlainCheckboxInput())
    q = SearchField(
        "Name, phone or email",
        [Optional(), Length(max=MAX_SEARCH, message=f"Search with up to {MAX_SEARCH} characters.")],
        filters=[strip],
        widget=PlainSearchInput(),
    )

    def validate_to(self, field):
        if field.data and self.from_.data and field.data < self.from_.data:
            raise ValidationError("The end date is before the start date.")


class ExportForm(GetForm):
    # Ids of their own: this form shares a page with the queue's filters.
    from_ = DateField(
        "From",
        [InputRequired("Give the first day."), plausible_day],
        name="from",
        id="export-from",
        widget=PlainDateInput(),
    )
    to = DateField(
        "To",
        [InputRequired("Give the last day."), plausible_day],
        id="export-to",
        widget=PlainDateInput(),
    )

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
        "Admin override: why confirm although the checks above fail?",
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
    # An admin's reason to move although consent or screening checks fail (admins only).
    override_reason = TextAreaField(
        "Admin override: why move although the checks above fail?",
        [Optional(), Length(max=500)],
        filters=[strip],
        id="move-override-reason",
    )


class MoveSearchForm(GetForm):
    provider = SelectField("Provider")
    location = SelectField("Location")
    week = DateField("Week starting", [Optional()])


class CalendarForm(GetForm):
    """The clinic day calendar's date picker; choices are the viewer's locations."""

    date = DateField("Day", [Optional(), plausible_day])
    location = SelectField("Location")


class FormsPendingDayForm(GetForm):
    """The forms-pending list's day."""

    date = DateField("Day", [Optional(), plausible_day])


# --- callbacks: calls to patients and closing their tasks ---------------------------------

CALL_OUTCOMES = options(
    [
        (CallOutcome.SPOKE.value, "Spoke with the patient"),
        (CallOutcome.LEFT_MESSAGE.value, "Left a message"),
        (CallOutcome.NO_ANSWER.value, "No answer"),
    ]
)
# How a closed callback reads on every page (the callback's own, the adverse-event register).
CALLBACK_OUTCOME_LABELS = {
    CallbackOutcome.CLEARED: "Cleared to book",
    CallbackOutcome.NOT_SUITABLE: "Not suitable for dry needling",
    CallbackOutcome.REFERRED: "Referred to their doctor",
    CallbackOutcome.UNREACHABLE: "Could not reach the patient",
    CallbackOutcome.OTHER: "Other",
}
CALLBACK_OUTCOMES = options(
    (outcome.value, "Other (say what in the note)" if outcome == CallbackOutcome.OTHER else label)
    for outcome, label in CALLBACK_OUTCOME_LABELS.items()
)


class CallLogForm(FlaskForm):
    outcome = RadioField(
        "How did the call go?",
        choices=CALL_OUTCOMES,
        validators=[InputRequired("Choose how the call went.")],
        id="call-outcome",
    )
    advice = TextAreaField(
        "Advice given (staff only)",
        [Optional(), Length(max=2000)],
        filters=[strip],
        id="call-advice",
    )

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the advice's own checks when it is empty, so this one lives here.
        if not super().validate(extra_validators):
            return False
        if self.outcome.data == CallOutcome.SPOKE.value and not self.advice.data:
            self.advice.errors.append("Write down the advice you gave the patient.")
            return False
        return True


class CloseCallbackForm(FlaskForm):
    outcome = RadioField(
        "Outcome",
        choices=CALLBACK_OUTCOMES,
        validators=[InputRequired("Choose an outcome.")],
        id="close-outcome",
    )
    note = TextAreaField(
        "Note (staff only)", [Optional(), Length(max=1000)], filters=[strip], id="close-note"
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.outcome.data == CallbackOutcome.OTHER.value and not self.note.data:
            self.note.errors.append("Say what happened in the note.")
            return False
        return True


class BookForPatientSearchForm(GetForm):
    """Booking from a cleared callback: whose free times, where, for which type of visit."""

    provider = SelectField("Provider")
    location = SelectField("Location")
    type = SelectField("Type of visit")
    week = DateField("Week starting", [Optional()])


class BookForPatientForm(FlaskForm):
    """One free time chosen on the booking page of a cleared callback."""

    provider = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    location = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    type = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    start = HiddenField(validators=[required(), Length(max=40)])
    # An admin's reason to book although consent, screening or review checks fail.
    override_reason = TextAreaField(
        "Admin override: why book although the checks above fail?",
        [Optional(), Length(max=500)],
        filters=[strip],
        id="book-override-reason",
    )


# --- the front desk's patients: search, and a new patient for a caller --------------------

# A free calendar cell carries these through the search and the new-patient form to booking.
ID_OR_BLANK = [Optional(), Regexp(r"^\d{1,9}$")]


class PatientSearchForm(GetForm):
    q = SearchField(
        "Name, phone, email or date of birth", [Optional(), Length(max=100)], filters=[strip]
    )
    provider = HiddenField(validators=ID_OR_BLANK)
    location = HiddenField(validators=ID_OR_BLANK)
    start = HiddenField(validators=[Optional(), Length(max=40)])


class NewPatientForm(FlaskForm):
    first_name = StringField("First name", [required(), Length(max=SHORT)], filters=[strip])
    last_name = StringField("Last name", [required(), Length(max=SHORT)], filters=[strip])
    born_on = DateField(
        "Date of birth",
        [required("Enter the date of birth, such as 1980-04-02 or 04/02/1980.")],
        format=["%Y-%m-%d", "%m/%d/%Y"],
    )
    phone = StringField(
        "Phone", [required("Enter a phone number we can call."), PhoneNumber()], filters=[strip]
    )
    email = EmailField(
        "Email (optional)",
        [Optional(), Length(max=254), Email("Enter a valid email, or leave it empty.")],
        filters=[strip],
    )
    # Ticked after the page warned that a patient with this name and birth date exists.
    same_person_checked = BooleanField("This is a different person: create a new patient")
    provider = HiddenField(validators=ID_OR_BLANK)
    location = HiddenField(validators=ID_OR_BLANK)
    start = HiddenField(validators=[Optional(), Length(max=40)])

    def validate_born_on(self, field):
        today = clinic_today()
        if field.data >= today:
            raise ValidationError("The date of birth must be in the past.")
        if age_on(field.data, today) >= OLDEST_PLAUSIBLE_AGE:
            raise ValidationError("Please check the year of the date of birth.")


# --- after a needling visit: the check-in, worded in domain/aftercare.py ------------------


def _check_in_question(question) -> RadioField:
    return RadioField(
        question.label,
        choices=options(aftercare.YES_NO),
        validators=[required("Choose yes or no.")],
    )


class CheckInForm(FlaskForm):
    soreness = IntegerField(
        aftercare.SORENESS_LABEL,
        [
            InputRequired("Choose a number from 0 to 10."),
            NumberRange(0, 10, "Choose a number from 0 (not at all) to 10 (the worst)."),
        ],
    )
    comments = TextAreaField(
        "Anything else your therapist should know? (optional)", [Optional(), Length(max=1000)]
    )

    def answers(self) -> aftercare.CheckInAnswers:
        said = {q.key: self[q.key].data == "yes" for q in aftercare.QUESTIONS}
        return aftercare.CheckInAnswers(
            soreness=self.soreness.data, comments=self.comments.data or "", **said
        )

    def questions(self):
        return [self[q.key] for q in aftercare.QUESTIONS]


for _question in aftercare.QUESTIONS:  # placed between soreness and comments, in order
    setattr(CheckInForm, _question.key, _check_in_question(_question))


# --- therapist schedule ------------------------------------------------------------------


class OutcomeForm(FlaskForm):
    revision = revision_field()
    outcome = SelectField(
        choices=options([("completed", "Completed"), ("no_show", "No-show")]),
        validators=[DataRequired()],
    )


class ReviewForm(FlaskForm):
    revision = revision_field()
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


class NeedlingNoteForm(FlaskForm):
    """The session note a dry-needling visit is completed with; signed once, then locked."""

    revision = revision_field()
    regions = MultiCheckboxField(
        "Regions needled",
        choices=options(needling.REGIONS),
        validators=[required("Tick the regions needled.")],
        invalid_choice_message="Choose among the regions listed.",
    )
    needle_count = IntegerField(
        "Number of needles",
        [
            InputRequired("Enter the number of needles."),
            NumberRange(0, needling.MAX_NEEDLES, f"Enter 0 to {needling.MAX_NEEDLES}."),
        ],
    )
    tolerance = RadioField(
        "Patient tolerance",
        choices=options(needling.TOLERANCES),
        validators=[InputRequired("Choose the patient's tolerance.")],
    )
    twitch_response = RadioField(
        "Local twitch response seen",
        choices=options([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired("Choose yes or no.")],
    )
    adverse_events = MultiCheckboxField(
        "Adverse events",
        choices=options(needling.ADVERSE_EVENTS),
        validators=[required("Tick the adverse events seen, or None.")],
        invalid_choice_message="Choose among the events listed.",
    )
    other_event = StringField(
        "If other: what happened", [Optional(), Length(max=500)], filters=[strip]
    )
    aftercare = TextAreaField(
        "Aftercare given", [required("Write the aftercare given."), Length(max=LONG)]
    )

    def validate_adverse_events(self, field):
        problem = needling.events_problem(field.data or [], self.other_event.data or "")
        if problem:
            raise ValidationError(problem)


class AddendumForm(FlaskForm):
    text = TextAreaField(
        "Addendum (the signed note stays as it is)",
        [required("Write the addendum first."), Length(max=LONG)],
        filters=[strip],
        id="addendum-text",
    )
    # Optional: an event found after the visit (a call, a check-in) is counted like one named
    # at signing; the addendum's text says what happened.
    adverse_events = MultiCheckboxField(
        "Adverse events found since the visit (optional)",
        choices=options(c for c in needling.ADVERSE_EVENTS if c.value != needling.NONE),
        validators=[Optional()],
        invalid_choice_message="Choose among the events listed.",
        id="addendum-events",
    )


class HoursForm(FlaskForm):
    location = SelectField(
        "Location", coerce=int, validators=[InputRequired()], render_kw=ALWAYS_CHOSEN
    )
    weekday = SelectField(
        "Day",
        coerce=int,
        choices=options(enumerate(WEEKDAYS)),
        validators=[InputRequired()],
        render_kw=ALWAYS_CHOSEN,
    )
    starts = TimeField("Starts", [InputRequired("Please give a start time."), on_slot_grid])
    ends = TimeField("Ends", [InputRequired("Please give an end time."), on_slot_grid])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        grid = current_settings().slot_grid_minutes
        self.grid_hint = f"On {slot_grid_in_words(grid)}."
        for field in (self.starts, self.ends):
            field.render_kw = {"step": grid * 60}  # the time picker steps along the grid

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The block must end after it starts.")


class TimeOffForm(FlaskForm):
    starts = DateTimeLocalField(
        "From", [InputRequired("Please give the first day and time."), plausible_year]
    )
    ends = DateTimeLocalField(
        "Until", [InputRequired("Please give the last day and time."), plausible_year]
    )
    reason = StringField("Reason (optional, not shown to patients)", [Optional(), Length(max=200)])

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The time off must end after it starts.")


# --- administration ----------------------------------------------------------------------

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
BIO_MAX = 4000
CONSENT_MAX = 50_000


# --- locations ----------------------------------------------------------------------


class LocationForm(FlaskForm):
    name = StringField("Name", [required(), Length(max=120)], [strip])
    slug = slug_field()
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
        render_kw=ALWAYS_CHOSEN,
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
    slug = slug_field()
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
    training_course = StringField(
        "Dry-needling course", [Optional(), Length(max=200)], [strip], default=""
    )
    training_completed_on = DateField("Course completed on", [Optional(), plausible_day])

    def validate_training_completed_on(self, field):
        if field.data and field.data > clinic_today():
            raise ValidationError("The course completion date cannot be in the future.")


class AttestationForm(FlaskForm):
    """An admin attests, today and in their own name, a provider's needling competence."""

    checked = BooleanField(
        "I have checked this therapist's dry-needling training and competence",
        [DataRequired("Please confirm that you have checked the training and competence.")],
    )


# --- appointment types --------------------------------------------------------------


class AppointmentTypeForm(FlaskForm):
    name = StringField("Name", [required(), Length(max=120)], [strip])
    slug = slug_field()
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
    email = email_field()
    role = role_field()


class RoleForm(FlaskForm):
    role = role_field()


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


# --- waitlist -----------------------------------------------------------------------


class WaitlistForm(FlaskForm):
    """What a waiting patient wants. The choices are set by the view; the domain decides
    whether the dates and the provider's place make sense."""

    provider = SelectField("Provider", default="", widget=PlainOptionsSelect())
    location = SelectField(
        "Location",
        [InputRequired("Choose a location.")],
        widget=PlainOptionsSelect(),
        render_kw=ALWAYS_CHOSEN,
    )
    type = SelectField(
        "Type of visit",
        [InputRequired("Choose a type of visit.")],
        widget=PlainOptionsSelect(),
        render_kw=ALWAYS_CHOSEN,
    )
    first_on = DateField("First day", [InputRequired("Give the first day."), plausible_day])
    last_on = DateField("Last day", [InputRequired("Give the last day."), plausible_day])
    times_of_day = MultiCheckboxField(
        "Times of day",
        [InputRequired("Choose at least one part of the day.")],
        choices=options([(key.value, words) for key, words in waitlist.TIME_OF_DAY_WORDS.items()]),
    )

    def set_choices(self, providers, locations, types) -> None:
        self.provider.choices = options(
            [("", "Any provider at that location")]
            + [(str(p.id), p.display_name) for p in providers]
        )
        self.location.choices = options([(str(loc.id), loc.name) for loc in locations])
        self.type.choices = options([(str(kind.id), kind.name) for kind in types])
