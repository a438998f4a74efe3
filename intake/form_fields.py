"""The fields, filters and validators the forms share: input shapes, no decisions."""

from datetime import date, datetime, timedelta

import phonenumbers
from markupsafe import Markup, escape
from wtforms import (
    EmailField,
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
from wtforms.widgets import (
    CheckboxInput,
    DateInput,
    HiddenInput,
    ListWidget,
    SearchInput,
    Select,
)
from wtforms.widgets.core import clean_key

from .config import current_settings
from .domain import questionnaire
from .domain.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from .domain.ids import MAX_ID
from .permissions import Role

# --- every area ---------------------------------------------------------------------------

SHORT, MEDIUM, LONG = 100, 500, 2000


def options(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params`, the same attributes in the same order, each written with an
    f-string: its `Markup.format` per attribute cost the queue's two forms ~0.3 ms a page."""
    params = []
    for key, value in sorted(kwargs.items()):
        name = escape(clean_key(key))
        if value is True:
            params.append(name)
        elif value is not False:
            # As WTForms: escaped, and a quote inside Markup written as &quot; too.
            params.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    # Every name and value was escaped above.
    return Markup(" ".join(params))  # noqa: S704  # nosec


class PlainParams:
    """A WTForms input widget writing its attributes with `html_params` above."""

    html_params = staticmethod(html_params)


class PlainDateInput(PlainParams, DateInput):
    pass


class PlainSearchInput(PlainParams, SearchInput):
    pass


class PlainCheckboxInput(PlainParams, CheckboxInput):
    pass


class PlainOptionsSelect(Select):
    """WTForms' select with the same HTML, each plain option written directly: a filter's
    long provider list went through `html_params` and `Markup.format` once per option."""

    def __call__(self, field, **kwargs):
        """`Select.__call__` for a select without groups or multiple choice, with the faster
        `html_params` and without looking up `render_option`'s signature on every call
        (the queue's three selects spent ~0.3 ms there)."""
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        options = "".join(self.render_option(c) for c in field._iter_choices_normalized())
        # The attributes and each option are escaped where they are written.
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704  # nosec

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        # html_params sorts the keys: "selected" comes before "value".
        selected = "selected " if choice.selected else ""
        value, label = escape(choice.value), escape(choice.label or choice.value)
        # Both parts are escaped on the line above.
        return Markup(f'<option {selected}value="{value}">{label}</option>')  # noqa: S704  # nosec


def strip(value):
    return value.strip() if isinstance(value, str) else value


def required(message: str = "This is required."):
    return DataRequired(message=message)


def email_field(label: str = "Email") -> EmailField:
    return EmailField(
        label, [required(), Length(max=254), Email("Enter a valid email.")], filters=[strip]
    )


def password_field(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            required("Please choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH, message=f"Use at least {MIN_PASSWORD_LENGTH} characters."
            ),
            Length(
                max=MAX_PASSWORD_LENGTH, message=f"Use at most {MAX_PASSWORD_LENGTH} characters."
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


# --- intake: questions, labels and choices come from domain/questionnaire.py -----------


def question_label(name: str) -> str:
    return questionnaire.question(name).label


def question_choices(name: str, prompt: str = "") -> list[SelectChoice]:
    """The question's choices; a select box starts on a blank `prompt` option."""
    choices = questionnaire.question(name).choices
    return options([("", prompt), *choices] if prompt else choices)


def short_answer(name: str, max_length: int, *more, optional: bool = False) -> StringField:
    return StringField(question_label(name), [needed(optional), Length(max=max_length), *more])


def long_answer(name: str, max_length: int, optional: bool = False) -> TextAreaField:
    return TextAreaField(question_label(name), [needed(optional), Length(max=max_length)])


def needed(optional: bool):
    return Optional() if optional else required()


def choose_one(name: str, prompt: str = "Choose one", optional: bool = False) -> SelectField:
    check = Optional() if optional else required("Choose one.")
    return SelectField(
        question_label(name), choices=question_choices(name, prompt), validators=[check]
    )


def yes_no(name: str) -> RadioField:
    return RadioField(
        question_label(name),
        choices=question_choices(name),
        validators=[required("Choose yes or no.")],
    )


def ticks(name: str, missing: str = "") -> MultiCheckboxField:
    check = required(missing) if missing else Optional()
    return MultiCheckboxField(
        question_label(name), choices=question_choices(name), validators=[check]
    )


def pain_scale(name: str) -> IntegerField:
    scale = NumberRange(0, 10, "Choose a number from 0 (no pain) to 10 (worst imaginable).")
    return IntegerField(
        question_label(name), [InputRequired("Choose a number from 0 to 10."), scale]
    )


# --- days, times and the appointment's revision -----------------------------------------

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plausible_day(form, field):
    """Keep dates where calendars work: 9999-12-31 has no next day to end on."""
    if field.data and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Choose a day between {FIRST_DAY.year} and {LAST_DAY.year}.")


def revision_field() -> IntegerField:
    # The version of the appointment the page showed: a change made since then wins. Kept in
    # the column's range, as a larger number cannot even be sent to the database.
    return IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(0, MAX_ID)])


def slot_grid_in_words(minutes: int) -> str:
    """'the quarter hour, such as 9:00 or 9:15' for the clinic's slot grid (config)."""
    step = {15: "the quarter hour", 30: "the half hour", 60: "the hour"}
    later = datetime(2000, 1, 1, 9) + timedelta(minutes=minutes)
    example = f"9:00 or {later.hour}:{later.minute:02d}"
    return f"{step.get(minutes, f'a {minutes}-minute step')}, such as {example}"


def on_slot_grid(form, field):
    grid = current_settings().slot_grid_minutes
    if field.data and ((field.data.hour * 60 + field.data.minute) % grid or field.data.second):
        raise ValidationError(f"Use a time on {slot_grid_in_words(grid)}.")


def plausible_year(form, field):
    # The ends of the calendar cannot be moved to UTC: keep to years a diary would show.
    if field.data and not 2000 <= field.data.year <= 2999:
        raise ValidationError("Please give a date in this century.")


# --- administration ----------------------------------------------------------------------

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    message="Use lower-case letters, digits and single hyphens, such as durham-central.",
)

STAFF_ROLE_CHOICES = options(
    [(Role.FRONT_DESK, "Front desk"), (Role.THERAPIST, "Therapist"), (Role.ADMIN, "Admin")]
)


def upper(value):
    return value.upper() if isinstance(value, str) else value


# A select with no empty option always holds a value, so it has no `required` attribute (HTML
# asks a required select to start with an empty option); the server still checks the answer.
ALWAYS_CHOSEN = {"required": False}


def role_field() -> SelectField:
    return SelectField(
        "Role",
        choices=STAFF_ROLE_CHOICES,
        validators=[required("Choose a role.")],
        render_kw=ALWAYS_CHOSEN,
        invalid_choice_message="Choose one of the roles listed.",
    )


def slug_field() -> StringField:
    return StringField("Slug (used in web addresses)", [required(), Length(max=80), SLUG], [strip])
